"""GEMM arrays vs SCALE-Sim on MiniLM's and Qwen2.5-0.5B's GEMMs at 8x8, 16x16 and 32x32, both dataflows.

    .venv/bin/python bench/gemm_rate.py [--arrays 8,16,32] [--sim verilator] [--seq 128] [--json OUT.json]

Every RTL figure is simulated: for each (array, dataflow, K, and M on the weight-stationary array) the bench runs 1
and 3 jobs back to back with no bubbles or stalls (``rtl_streaming_cycles``); RTL cycles = fill + jobs x interval,
with jobs = ceil(M/R) x ceil(N/C) output tiles (output-stationary) or ceil(N/C) column tiles that each stream all M
rows through every weight fold (weight-stationary). SCALE-Sim's stall-free 'Total Cycles' come from
``closed_form_cycles`` (equal to SCALE-Sim v3's report on every run so far: tests/verification/test_scalesim.py and
the cached MiniLM runs), and from SCALE-Sim itself where ``--scalesim`` names shapes to run (minutes each).
"search/RTL" is the dataflow search's stall-free compute cycles (``model_opt._dataflow.stall_free_cycles``) over the
simulated RTL cycles. "before" is the previous RTL's schedule, which its bench held to the cycle: output-stationary max(K, (K + 2R + C -
1) / 2) per R x C tile (two banks), weight-stationary K + ceil(K/R)(2R + C - 1) + R per R-row job, no overlap.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

from accelsmith.model_opt._dataflow import stall_free_cycles
from accelsmith.verification.campaigns.scalesim import (closed_form_cycles, rtl_jobs, rtl_streaming_cycles,
                                                        scalesim_cycles)

DATAFLOWS = ("output_stationary", "weight_stationary")


def model_shapes(seq: int) -> dict[str, dict[str, tuple[int, int, int]]]:
    """(M, N, K) of one layer's GEMMs: all-MiniLM-L6-v2 (hidden 384, 12 heads of 32, MLP 1536) and
    Qwen2.5-0.5B (hidden 896, 14 query heads and 2 key/value heads of 64, MLP 4864, gate and up fused)."""
    return {
        "minilm": {"qkv_proj": (seq, 3 * 384, 384), "attn_scores": (seq, seq, 32), "attn_context": (seq, 32, seq),
                   "out_proj": (seq, 384, 384), "mlp_up": (seq, 1536, 384), "mlp_down": (seq, 384, 1536)},
        "qwen0.5b": {"qkv_proj": (seq, 896 + 2 * 128, 896), "attn_scores": (seq, seq, 64),
                     "attn_context": (seq, 64, seq), "o_proj": (seq, 896, 896), "gate_up": (seq, 2 * 4864, 896),
                     "down": (seq, 896, 4864)},
    }


def before_cycles(r: int, c: int, dataflow: str, m: int, n: int, k: int) -> float:
    """The previous RTL's schedule (held to the cycle by its bench; see the module docstring)."""
    tiles = math.ceil(m / r) * math.ceil(n / c)
    if dataflow == "weight_stationary":
        return tiles * (k + math.ceil(k / r) * (2 * r + c - 1) + r)
    interval = max(k, (k + 2 * r + c - 1) / 2)
    return (k + 2 * r + c - 2) - interval + tiles * interval


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arrays", default="8,16,32", help="square array sizes (default 8,16,32)")
    ap.add_argument("--sim", default="verilator", choices=("verilator", "icarus"))
    ap.add_argument("--seq", type=int, default=128, help="sequence length = M (default 128)")
    ap.add_argument("--scalesim", default="", help="comma-separated model:shape@R to run on SCALE-Sim itself too")
    ap.add_argument("--json", type=Path, help="write every row here")
    ap.add_argument("--table", type=Path, help="print the tables of an earlier --json file (no simulation)")
    args = ap.parse_args(argv)
    if args.table:
        rows = json.loads(args.table.read_text())
        for r in rows:  # the search's column is a formula of the row: filled in for files written before it
            r.setdefault("search_stall_free", stall_free_cycles(r["M"], r["N"], r["K"], r["array"], r["array"],
                                                                r["dataflow"]))
        print_tables(rows, args.sim, any(r["scalesim_run"] is not None for r in rows))
        return 0
    arrays = [int(a) for a in args.arrays.split(",")]
    models = model_shapes(args.seq)
    real = {tuple(x.split("@")) for x in args.scalesim.split(",") if x}
    rows, t0 = [], time.time()
    with tempfile.TemporaryDirectory(prefix="gemm_rate_") as tmp:
        for size in arrays:
            for df in DATAFLOWS:
                measured: dict[tuple, dict] = {}
                for model, shapes in models.items():
                    for name, (m, n, k) in shapes.items():
                        key = (k, m if df == "weight_stationary" else None)
                        if key not in measured:
                            print(f"[{time.time() - t0:7.1f} s] {size}x{size} {df} K={k}"
                                  f"{'' if key[1] is None else f' M={m}'}: simulating 1 and 3 jobs", flush=True)
                            measured[key] = rtl_streaming_cycles(size, size, k, df, Path(tmp), args.sim, m=key[1])
                        meas = measured[key]
                        jobs = rtl_jobs(size, size, df, m, n)
                        rtl = meas["fill"] + jobs * meas["interval"]
                        closed = closed_form_cycles(size, size, df, m, n, k)
                        ss = None
                        if (f"{model}:{name}", str(size)) in real:
                            ss = scalesim_cycles(size, size, df, {name: (m, n, k)})[name]
                        ideal = m * n * k / size / size
                        rows.append({"array": size, "dataflow": df, "model": model, "shape": name, "M": m, "N": n,
                                     "K": k, "jobs": jobs, "interval": meas["interval"], "fill": meas["fill"],
                                     "rtl_cycles": round(rtl), "scalesim_closed_form": closed, "scalesim_run": ss,
                                     "ideal": round(ideal), "before_cycles": round(before_cycles(size, size, df, m, n, k)),
                                     "rtl_over_scalesim": rtl / closed, "util": ideal / rtl,
                                     "search_stall_free": stall_free_cycles(m, n, k, size, size, df),
                                     "util_before": ideal / before_cycles(size, size, df, m, n, k)})
    print_tables(rows, args.sim, bool(real))
    print(f"wall {time.time() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


def print_tables(rows: list[dict], sim: str, real: bool) -> None:
    for df in DATAFLOWS:
        print(f"\n{df} ({sim}; SCALE-Sim = its stall-free Total Cycles, closed form{' / run' if real else ''})")
        print(f"  {'array':>5} {'model':<8} {'shape':<12} {'M':>4} {'N':>5} {'K':>5} {'jobs':>5} {'RTL':>10} "
              f"{'SCALE-Sim':>10} {'ideal':>10} {'RTL/SS':>6} {'util':>6} {'before':>10} {'util bef':>8} {'search/RTL':>10}")
        for r in rows:
            if r["dataflow"] != df:
                continue
            ss = f"{r['scalesim_closed_form']}" + ("" if r["scalesim_run"] is None else f"/{r['scalesim_run']}")
            print(f"  {r['array']:>5} {r['model']:<8} {r['shape']:<12} {r['M']:>4} {r['N']:>5} {r['K']:>5} {r['jobs']:>5} "
                  f"{r['rtl_cycles']:>10} {ss:>10} {r['ideal']:>10} {r['rtl_over_scalesim']:>6.3f} {r['util']:>6.3f} "
                  f"{r['before_cycles']:>10} {r['util_before']:>8.3f} {r['search_stall_free'] / r['rtl_cycles']:>10.3f}")
    worst = max(rows, key=lambda r: r["rtl_over_scalesim"])
    print(f"\nworst RTL / SCALE-Sim: {worst['rtl_over_scalesim']:.3f} ({worst['array']}x{worst['array']} "
          f"{worst['dataflow']} {worst['model']} {worst['shape']}); rows with RTL > SCALE-Sim: "
          f"{sum(r['rtl_cycles'] > r['scalesim_closed_form'] for r in rows)} of {len(rows)}; search's stall-free cycles / "
          f"RTL: {min(r['search_stall_free'] / r['rtl_cycles'] for r in rows):.3f} .. "
          f"{max(r['search_stall_free'] / r['rtl_cycles'] for r in rows):.3f}")


if __name__ == "__main__":
    sys.exit(main())
