"""Qwen2.5-Coder-0.5B-Instruct perplexity on held-out code: fp32 (dequantised GGUF), uniform 4-bit, mixed 4-bit.

Setup (once): /work/shared/tools/provision-eval-llm /tmp/evalllm, then load the GGUF with transformers
(from_pretrained(dir, gguf_file=...)) and save_pretrained to --model (see docs/model_opt.md).
Usage: .venv/bin/python bench/model_opt_qwen.py --model /tmp/qwen05b_hf [--eval-tokens 2048]
"""

from __future__ import annotations

import argparse
import copy
import json
import sysconfig
import time
from pathlib import Path

import torch

from accelsmith.model_opt import (MixedPrecisionConfig, UniformQuantConfig, compress_, derive_constraints,
                                  extract_profile, load_model)
from accelsmith.model_opt._quality import perplexity, token_windows

REPO = Path(__file__).resolve().parents[1]
CALIB = ["json/encoder.py", "json/decoder.py", "textwrap.py"]  # calibration: never evaluated on
EVAL_PY = ["heapq.py", "bisect.py", "fnmatch.py"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=Path("/tmp/qwen05b_hf"))
    ap.add_argument("--eval-tokens", type=int, default=2048)
    ap.add_argument("--calib-tokens", type=int, default=512)
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench_qwen"))
    args = ap.parse_args()
    torch.set_num_threads(2)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    base, tok = load_model(args.model)
    verilog = [p.read_text() for p in sorted((REPO / "hw_templates").rglob("*.v"))]
    python = [(stdlib / f).read_text() for f in EVAL_PY]
    half = args.eval_tokens // 2
    eval_sets = {"verilog": token_windows(tok, verilog, args.window, half),
                 "python": token_windows(tok, python, args.window, half)}
    calib = token_windows(tok, [(stdlib / f).read_text() for f in CALIB], 128, args.calib_tokens)
    print(f"eval windows: { {k: f'{len(v)}x{args.window}' for k, v in eval_sets.items()} }; "
          f"calibration: {len(calib)}x128 tokens", flush=True)
    variants = {
        "fp32 (dequantised GGUF)": None,
        "uniform w4 (weight-only, g64)": UniformQuantConfig(w_bits=4, a_bits=None),
        "mixed avg4 {3,4,6,8} (weight-only, g64)": MixedPrecisionConfig(avg_bits=4, candidates=(3, 4, 6, 8),
                                                                         a_bits=None, max_rows=128),
        "uniform w4a8": UniformQuantConfig(w_bits=4, a_bits=8),
    }
    results = {}
    args.out.mkdir(parents=True, exist_ok=True)
    for name, cfg in variants.items():
        t0 = time.perf_counter()
        model = copy.deepcopy(base) if cfg is not None else base
        rep = compress_(model, cfg, calib=calib) if cfg is not None else {}
        ppl = {k: perplexity(model, v) for k, v in eval_sets.items()}
        results[name] = {"perplexity": ppl, "avg_bits": rep.get("avg_bits")}
        print(f"{name:42s} ppl={ {k: round(v, 3) for k, v in ppl.items()} } avg_bits={rep.get('avg_bits')} "
              f"({time.perf_counter() - t0:.0f}s)", flush=True)
        if name.startswith("mixed"):
            hist = {}
            for segs in rep["layers"].values():
                for a, e, b in segs:
                    hist[b] = hist.get(b, 0) + 1
            print("  layers per width:", dict(sorted(hist.items())))
            profile = extract_profile(model, seq_len=512, name="Qwen2.5-Coder-0.5B mixed avg4")
            profile.to_json_file(args.out / "profile_qwen_mixed4.json")
            (args.out / "topology_qwen_mixed4.csv").write_text(profile.to_scalesim_csv())
            cons = derive_constraints(profile)
            (args.out / "constraints_qwen_mixed4.json").write_text(cons.model_dump_json(indent=2))
            print("  specs:", [s.summary() for s in cons.to_block_specs()], "pending:",
                  sorted({p["kind"] for p in cons.pending}), "util:", [round(a.utilisation, 3) for a in cons.arrays],
                  "GEMMs:", len(profile.gemms), "MACs:", profile.total_macs, flush=True)
        if cfg is not None:
            del model
    (args.out / "qwen_results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
