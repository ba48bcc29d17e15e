"""The dataflow and tiling search (ZigZag, ``model_opt._dataflow``) on the real MiniLM and Qwen2.5-0.5B profiles.

    .venv/bin/python bench/dataflow_search.py [--out bench/results/dataflow_DATE.json] [--arrays 8,16,32]

1. Cross-check of stall-free cycles per distinct GEMM shape and array, both dataflows: ZigZag's latency with an
   unlimited budget (1 GiB SRAM, 4096 B/cycle DRAM), the search's own count (``stall_free_cycles``, equal to the
   simulated RTL: bench/gemm_rate.py), SCALE-Sim's (``campaigns.scalesim.closed_form_cycles``, which reproduces its
   report) and the ideal M*N*K*count/(R*C).
2. The search's choice per model under 64 KB / 256 KB SRAM and 16 / 64 bytes/cycle on the 16x16 array: compute
   cycles, stall cycles (share of compute), DRAM traffic, energy, dataflows chosen.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from accelsmith.model_opt._dataflow import DATAFLOWS, Budget, evaluate, search_profile, stall_free_cycles
from accelsmith.model_opt._profile import load_profile
from accelsmith.verification.campaigns.scalesim import closed_form_cycles

ROOT = Path(__file__).resolve().parent
PROFILES = {"MiniLM-L6 (seq 128)": ROOT / "results/model_opt/profile_minilm_mixed6.json",
            "Qwen2.5-0.5B (seq 512)": ROOT / "results/model_opt/profile_qwen_mixed4.json"}
UNLIMITED = dict(sram_bytes=1 << 30, dram_bytes_per_cycle=4096)


def distinct(profile):
    seen = {}
    for g in profile.gemms:
        if g.name.endswith("lm_head"):
            continue  # 512 x 151,936 x 896: one op, minutes of ZigZag per array; left out of the cross-check
        seen.setdefault((g.m, g.n, g.k, g.count), g)  # operand widths change traffic, not stall-free cycles
    return list(seen.values())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--arrays", default="8,16,32")
    ap.add_argument("--search-array", type=int, default=16)
    ap.add_argument("--parts", default="crosscheck,search", help="crosscheck, search or both (default)")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    rows = {"crosscheck": [], "search": []}
    t0 = time.perf_counter()
    if "crosscheck" in parts:
        crosscheck(args, rows)
    if "search" in parts:
        search(args, rows)
    print(f"({time.perf_counter() - t0:.0f} s)")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


def crosscheck(args, rows: dict) -> None:
    print("== stall-free cycles: ZigZag vs the search (= RTL) vs SCALE-Sim (closed form of its report) vs ideal, per "
          "GEMM (all repeats)")
    print(f"{'model':<24} {'M':>5} {'N':>6} {'K':>5} {'x':>3} {'array':>6} {'dataflow':<18} {'ideal':>11} "
          f"{'ZigZag':>11} {'search':>11} {'SCALE-Sim':>11} {'ZZ/SS':>6} {'srch/SS':>7}")
    for model, path in PROFILES.items():
        profile = load_profile(path)
        for g in distinct(profile):
            for a in (int(x) for x in args.arrays.split(",")):
                for df in DATAFLOWS:
                    o = evaluate(g, Budget(rows=a, cols=a, **UNLIMITED), df)
                    ss = g.count * closed_form_cycles(a, a, df, g.m, g.n, g.k)
                    own = g.count * stall_free_cycles(g.m, g.n, g.k, a, a, df)
                    ideal = g.m * g.n * g.k * g.count / (a * a)
                    rows["crosscheck"].append({"model": model, "m": g.m, "n": g.n, "k": g.k, "count": g.count,
                                               "array": a, "dataflow": df, "ideal": round(ideal),
                                               "zigzag": o.cycles, "search": own, "scalesim": ss})
                    print(f"{model[:24]:<24} {g.m:>5} {g.n:>6} {g.k:>5} {g.count:>3} {a:>3}x{a:<2} {df:<18} "
                          f"{ideal:>11,.0f} {o.cycles:>11,} {own:>11,} {ss:>11,} {o.cycles / ss:>6.3f} "
                          f"{own / ss:>7.3f}", flush=True)


def search(args, rows: dict) -> None:
    a = args.search_array
    print(f"\n== the search's choice, {a}x{a} array (every GEMM of the profile)")
    for model, path in PROFILES.items():
        profile = load_profile(path)
        for sram_kb in (64, 256):
            for bw in (16, 64):
                t = time.perf_counter()
                choice = search_profile(profile, Budget(rows=a, cols=a, sram_bytes=sram_kb * 1024,
                                                        dram_bytes_per_cycle=bw))
                s = choice.summary()
                rows["search"].append({"model": model, "sram_kb": sram_kb, "dram_bw": bw, **s,
                                       "ops": [o.model_dump() for o in choice.ops]})
                print(f"{model:<24} SRAM {sram_kb:>3} KB, DRAM {bw:>2} B/cycle: compute {s['compute_cycles']:>13,} "
                      f"stall {s['stall_cycles']:>11,} ({100 * s['stall_share']:5.1f} %)  "
                      f"DRAM {s['dram_mb']:>8,.1f} MB  "
                      f"energy {s['energy_mj']:>8,.2f} mJ  {s['dataflows']}  ({time.perf_counter() - t:.0f} s)",
                      flush=True)


if __name__ == "__main__":
    main()
