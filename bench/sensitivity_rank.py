"""Does a sensitivity measure predict what quantising one layer does to the model? (MiniLM)

For each quantisable Linear of all-MiniLM-L6-v2 and each width, quantise only that layer (GPTQ codes) and
measure 1 - cosine of the pooled embeddings to the fp32 model's on the calibration tweets; Spearman rank
correlation of that damage with the Fisher measures (sequence-level and per-token) and with the layer-local output measure.
Usage (from bench/): ../.venv/bin/python sensitivity_rank.py [--widths 2,3] [--max-rows 2048] [--draws 4]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mixed_precision import minilm_setup  # noqa: E402

from accelsmith.model_opt import MixedPrecisionConfig  # noqa: E402
from accelsmith.model_opt._pack import dequantise_groups  # noqa: E402
from accelsmith.model_opt._quantize import mixed_inputs  # noqa: E402
from accelsmith.model_opt._sensitivity import quantisable_linears  # noqa: E402


@torch.no_grad()
def pooled(model, batches) -> torch.Tensor:
    out = []
    for b in batches:
        h, m = model(**b).last_hidden_state, b["attention_mask"].unsqueeze(-1).float()
        out.append((h * m).sum(1) / m.sum(1))
    return torch.cat(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", default="2,3")
    ap.add_argument("--max-rows", type=int, default=2048)
    ap.add_argument("--draws", type=int, default=4)
    args = ap.parse_args()
    torch.set_num_threads(2)
    widths = tuple(int(w) for w in args.widths.split(","))
    base, calib, _ = minilm_setup(3000)
    measures = {}
    for kind in ("fisher_sequence", "fisher", "output"):
        cfg = MixedPrecisionConfig(avg_bits=min(widths), candidates=widths, a_bits=None, quantiser="gptq",
                                   sensitivity=kind, max_rows=args.max_rows, fisher_draws=args.draws)
        codes, measures[kind] = mixed_inputs(base, cfg, calib)
    ref = pooled(base, calib)
    layers = quantisable_linears(base, cfg.skip)
    damage = {w: [] for w in widths}
    for name, lin in layers.items():
        w0 = lin.weight.data.clone()
        for w in widths:
            lin.weight.data = dequantise_groups(*codes[name][w])
            damage[w].append(float((1 - torch.nn.functional.cosine_similarity(pooled(base, calib), ref)).mean()))
        lin.weight.data = w0
    for w in widths:
        row = [f"{w}-bit, {len(layers)} layers:"]
        for kind, sens in measures.items():
            rho = spearmanr([sum(sens[n][w]) for n in layers], damage[w])[0]
            row.append(f"Spearman({kind}, single-layer damage) = {rho:+.3f}")
        print(" ".join(row), flush=True)


if __name__ == "__main__":
    main()
