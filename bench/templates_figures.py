"""Print the template library's measured figures: kill rates, PPA, throughput/latency, GEMM utilisation vs
SCALE-Sim, regress wall time.  Usage: .venv/bin/python bench/templates_figures.py [--part NAME ...] [--jobs N]

Parts: mutate, ppa, perf, gemm_util, regress (default: all).  Every figure is measured by this run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from accelsmith import hw_templates
from accelsmith.spec import spec_from_dict
from accelsmith.verification import derive, run_bench

NAMED = {  # specs whose figures are reported
    "requant_int8_4l": {"kind": "requant"},
    "requant_int4_per_channel": {"kind": "requant", "lanes": 4, "multipliers": [3, 5, 7, 9, 11, 13, 1 << 20, 1],
                                 "shifts": [1, 2, 3, 0, 4, 5, 22, 8], "out_bits": 4, "in_bits": 16, "zero_point": -3,
                                 "rounding": "nearest"},
    "requant_int8_half_even_ties": {"kind": "requant", "lanes": 2, "multipliers": [3, 10], "shifts": [2, 3]},
    "gemm_os_8x8_int8": {"kind": "gemm", "rows": 8, "cols": 8, "k": 16},
    "gemm_ws_8x8_int8": {"kind": "gemm", "rows": 8, "cols": 8, "k": 16, "dataflow": "weight_stationary"},
    "gemm_ws_4x3_int4_sat": {"kind": "gemm", "rows": 4, "cols": 3, "k": 10, "in_bits": 4, "acc_bits": 8,
                             "overflow": "saturate", "dataflow": "weight_stationary"},
    "gelu_4l_int8": {"kind": "activation", "function": "gelu"},
    "silu_4l_q2.3": {"kind": "activation", "function": "silu", "in_bits": 6, "in_frac": 3, "out_bits": 8, "out_frac": 4},
}
MUTATE = ["requant_int8_half_even_ties", "requant_int4_per_channel", "gemm_ws_4x3_int4_sat", "silu_4l_q2.3"]


def part_mutate(jobs: int, max_mutants: int) -> None:
    from accelsmith.verification._mutate import mutate
    from accelsmith.verification.cli import print_mutation_report

    for name in MUTATE:
        report = mutate(spec_from_dict(NAMED[name]), jobs=jobs, max_mutants=max_mutants)
        print_mutation_report(report)


def part_ppa(work: Path) -> None:
    from accelsmith.verification._ppa import synthesize

    print(f"{'spec':<30} {'cells':>8} {'FF bits':>8} {'depth':>6}")
    for name, fields in NAMED.items():
        spec = spec_from_dict(fields)
        s = synthesize(hw_templates.get(spec.kind).render(spec), work / f"ppa_{name}")
        print(f"{name:<30} {s.get('cells', '-'):>8} {s.get('flip_flops', '-'):>8} {s.get('logic_depth', '-'):>6}"
              + ("" if s["ok"] else f"  {s['error']}"))


def part_perf(work: Path, sim: str) -> None:
    print(f"{'spec':<30} {'in beats':>8} {'span':>6} {'beats/cyc':>9} {'job latency':>11}  ({sim}, 'throughput' case)")
    for name, fields in NAMED.items():
        spec = spec_from_dict(fields)
        b = hw_templates.get(spec.kind).render(spec)
        res = run_bench(b.write(work / f"perf_{name}" / "rtl"), b.top, derive(spec), work / f"perf_{name}" / "b",
                        sim=sim, cases=["throughput"])
        c = res.cases[0]
        print(f"{name:<30} {c['input_beats']:>8} {c['span_cycles']:>6} {c['expected_beats'] / c['span_cycles']:>9.3f} "
              f"{min(c['job_latency_cycles']):>11}  {'PASS' if res.passed else 'FAIL'}")


def part_gemm_util(work: Path, sim: str) -> None:
    from accelsmith.verification._scalesim import transformer_shapes, utilisation_table

    every = transformer_shapes()
    shapes = {k: every[k] for k in ("qkv_proj", "attn_scores", "mlp_up", "mlp_down")}  # K in {384, 64, 1536}
    for df in ("output_stationary", "weight_stationary"):
        print(f"GEMM 8x8 {df} (RTL on {sim}; SCALE-Sim 'Total Cycles', large SRAMs):")
        print(f"  {'shape':<13} {'M':>4} {'N':>5} {'K':>5} {'RTL cyc':>9} {'SCALE-Sim':>9} {'ideal':>8} "
              f"{'util':>6} {'RTL/SS':>6}")
        for r in utilisation_table(8, 8, df, shapes, work, sim):
            print(f"  {r['shape']:<13} {r['M']:>4} {r['N']:>5} {r['K']:>5} {r['rtl_cycles']:>9} "
                  f"{r['scalesim_cycles']:>9} {r['ideal_cycles']:>8} {r['utilisation']:>6.3f} {r['rtl_over_scalesim']:>6.3f}")


def part_regress(jobs: int) -> None:
    from accelsmith.verification._regress import regress

    r = regress(jobs=jobs)
    print(f"regress: {r['runs']} runs, {r['failed']} failed, wall {r['wall_s']:.1f} s with {jobs} jobs")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", action="append", choices=["mutate", "ppa", "perf", "gemm_util", "regress"])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-mutants", type=int, default=150)
    ap.add_argument("--sim", default="verilator")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="accelsmith_figures_"))
    for part in args.part or ["ppa", "perf", "gemm_util", "mutate", "regress"]:
        t0 = time.perf_counter()
        print(f"== {part}")
        {"mutate": lambda: part_mutate(args.jobs, args.max_mutants), "ppa": lambda: part_ppa(work),
         "perf": lambda: part_perf(work, args.sim), "gemm_util": lambda: part_gemm_util(work, args.sim),
         "regress": lambda: part_regress(args.jobs)}[part]()
        print(f"   ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
