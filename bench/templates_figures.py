"""Print the template library's measured figures: kill rates, PPA, throughput/latency, GEMM utilisation vs
SCALE-Sim, regress wall time.  Usage: .venv/bin/python bench/templates_figures.py [--part NAME ...] [--jobs N]

Parts: mutate, ppa, fpga, perf, attention_tiles, gemm_util (alias utilisation), regress (default: all).  Every figure is measured by this run.
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
    "gemm_ws_8x8_int8_m64": {"kind": "gemm", "rows": 8, "cols": 8, "k": 16, "m": 64, "dataflow": "weight_stationary"},
    "gelu_4l_int8": {"kind": "activation", "function": "gelu"},
    "silu_4l_q2.3": {"kind": "activation", "function": "silu", "in_bits": 6, "in_frac": 3, "out_bits": 8, "out_frac": 4},
    "softmax_16x4_q3_4": {"kind": "softmax"},
    "softmax_16x4_full_rate": {"kind": "softmax", "vectors_in_flight": 4, "div_bits_per_cycle": 4},
    "softmax_128x4_full_rate": {"kind": "softmax", "length": 128, "vectors_in_flight": 4},
    "layernorm_16x4": {"kind": "norm"},
    "layernorm_16x4_full_rate": {"kind": "norm", "vectors_in_flight": 3},
    "layernorm_384x4_full_rate": {"kind": "norm", "hidden": 384, "vectors_in_flight": 3},
    "rmsnorm_12x3_gamma": {"kind": "norm", "norm": "rmsnorm", "hidden": 12, "lanes": 3, "out_frac": 4,
                           "gamma": [100, -50, 64, 20, 1, 127, -128, 64, 64, 64, 3, 90], "max_abs_error": 0.1},
    "attention_d8_s10_b4": {"kind": "attention", "head_dim": 8, "kv_block": 4, "seq_len": 10},
}
MUTATE = ["examples/gemm_4x4_int8.yaml", "examples/gemm_ws_4x3_int4_sat.yaml", "examples/requant_int8_ties.yaml",
          "examples/requant_int8_mixed.yaml", "examples/activation_silu_q2_3.yaml"]  # specs of the mutation figures


def part_mutate(jobs: int, max_mutants: int) -> None:
    """Same as `accelsmith mutate KIND --spec YAML --max N --jobs J` per spec in MUTATE."""
    from accelsmith.spec import load_spec
    from accelsmith.verification.campaigns.mutate import format_report, mutate

    root = Path(__file__).resolve().parent.parent
    for path in MUTATE:
        report = mutate(load_spec(root / path), jobs=jobs, max_mutants=max_mutants)
        print(f"{path}: " + format_report(report))


def part_ppa(work: Path, jobs: int = 2) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from accelsmith.verification._ppa import synthesize

    def one(item):
        name, fields = item
        spec = spec_from_dict(fields)
        t0 = time.perf_counter()
        return name, synthesize(hw_templates.get(spec.kind).render(spec), work / f"ppa_{name}", timeout_s=1800.0), \
            time.perf_counter() - t0

    print(f"{'spec':<30} {'cells':>8} {'FF bits':>8} {'depth':>6} {'yosys s':>8}")
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each synthesis is its own yosys process
        for name, s, dt in pool.map(one, NAMED.items()):
            print(f"{name:<30} {s.get('cells', '-'):>8} {s.get('flip_flops', '-'):>8} {s.get('logic_depth', '-'):>6} "
                  f"{dt:>8.0f}" + ("" if s["ok"] else f"  {s['error']}"), flush=True)


def part_fpga(work: Path, jobs: int = 2, device: str = "ecp5-85k") -> None:
    """Same as `accelsmith ppa YAML --fpga DEVICE` per named spec: ECP5 synthesis + out-of-context place and route."""
    from concurrent.futures import ThreadPoolExecutor

    from accelsmith.verification._fpga import place_and_route

    def one(item):
        name, fields = item
        spec = spec_from_dict(fields)
        t0 = time.perf_counter()
        return name, place_and_route(hw_templates.get(spec.kind).render(spec), work / f"fpga_{name}", device,
                                     timeout_s=3600.0), time.perf_counter() - t0

    print(f"{device}, speed grade 6, out of context, nextpnr seed 1, --threads 1")
    print(f"{'spec':<30} {'LUT4':>6} {'FF':>6} {'DSP':>4} {'BRAM':>4} {'LUTRAM':>6} {'fmax MHz':>8} {'synth s':>7} "
          f"{'P&R s':>6}")
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each flow is its own yosys / nextpnr process
        for name, f, dt in pool.map(one, NAMED.items()):
            if f["ok"]:
                print(f"{name:<30} {f['luts']:>6} {f['ffs']:>6} {f['dsps']:>4} {f['brams']:>4} {f['lutram_cells']:>6} "
                      f"{f['fmax_mhz']:>8} {f['synth_s']:>7.0f} {f['pnr_s']:>6.0f}", flush=True)
            else:
                print(f"{name:<30} {f['error']}", flush=True)


def part_perf(work: Path, sim: str) -> None:
    print(f"{'spec':<30} {'in beats':>8} {'span':>6} {'beats/cyc':>9} {'steady':>7} {'job latency':>11}  "
          f"({sim}, 'throughput' case; steady = output beats per cycle from the first job's last beat on)")
    for name, fields in NAMED.items():
        spec = spec_from_dict(fields)
        b = hw_templates.get(spec.kind).render(spec)
        res = run_bench(b.write(work / f"perf_{name}" / "rtl"), b.top, derive(spec), work / f"perf_{name}" / "b",
                        sim=sim, cases=["throughput"])
        c = res.cases[0]
        ends = c["job_end_cycles"]
        steady = (len(ends) - 1) * c["expected_beats"] / c["jobs"] / (ends[-1] - ends[0]) if len(ends) > 1 else 0.0
        print(f"{name:<30} {c['input_beats']:>8} {c['span_cycles']:>6} {c['expected_beats'] / c['span_cycles']:>9.3f} "
              f"{steady:>7.3f} {min(c['job_latency_cycles']):>11}  {'PASS' if res.passed else 'FAIL'}")


def part_attention_tiles(work: Path, sim: str) -> None:
    """K/V bytes per query and cycles per head, one query row per pass vs a tile of Br rows (MiniLM's head_dim 32):
    the spec's figures, and at S = 128 the bench's measured interval between passes (6 back to back)."""
    from accelsmith.kinds.attention import AttentionSpec

    print(f"{'S':>4} {'Br':>3} {'KV B/query':>10} {'passes':>6} {'cyc/pass':>8} {'cyc/head':>9} {'buffer B':>8} "
          f"{'measured cyc/pass':>17}  (head_dim 32, kv_block 16, {sim})")
    for seq in (128, 512):
        for rows in (1, 8):
            spec = AttentionSpec(head_dim=32, seq_len=seq, kv_block=16, query_rows=rows, max_buffer_bytes=1 << 16)
            measured = "-"
            if seq == 128:
                b = hw_templates.get("attention").render(spec)
                res = run_bench(b.write(work / f"att_{seq}_{rows}" / "rtl"), b.top, derive(spec),
                                work / f"att_{seq}_{rows}" / "b", sim=sim, cases=["throughput"])
                ends = res.cases[0]["job_end_cycles"]
                measured = f"{(ends[-1] - ends[0]) / (len(ends) - 1):.1f}" + ("" if res.passed else " FAIL")
            print(f"{seq:>4} {rows:>3} {spec.kv_bytes_per_query:>10.0f} {spec.passes:>6} {spec.rate.ii_cycles:>8} "
                  f"{spec.head_cycles:>9} {spec.buffer_bytes:>8} {measured:>17}", flush=True)


def part_gemm_util(work: Path, sim: str) -> None:
    """RTL (measured streaming fill + per-job interval x tiles) vs SCALE-Sim 'Total Cycles' vs ideal MACs."""
    from accelsmith.verification.campaigns.scalesim import rtl_streaming_cycles, transformer_shapes, utilisation_table

    # all-MiniLM-L6-v2's encoder layer (hidden 384, 12 heads of 32, MLP 1536) at seq 128: one head's scores and
    # context and the output projection (K in {32, 128, 384}; the K = 1536 MLP-down GEMM takes Icarus too long)
    every = transformer_shapes(head_dim=32)
    shapes = {k: every[k] for k in ("attn_scores", "attn_context", "out_proj")}
    print("method: each (M, N, K) GEMM is cut into the 8x8 array's jobs (output-stationary ceil(M/8) x ceil(N/8) tiles; "
          "weight-stationary ceil(N/8) column tiles of all M rows), streamed back to back;\n  RTL cycles = fill + "
          "jobs x interval, interval = (span(3 jobs) - "
          "span(1 job)) / 2 measured on the bench (no bubbles, no stalls);\n  ideal = M*N*K/64; util = ideal/RTL.")
    from concurrent.futures import ThreadPoolExecutor

    from accelsmith.verification.campaigns.scalesim import scalesim_cycles

    pool = ThreadPoolExecutor(max_workers=2)  # both SCALE-Sim runs go on while the RTL simulates (then cached)
    ss = {df: pool.submit(scalesim_cycles, 8, 8, df, shapes) for df in ("output_stationary", "weight_stationary")}
    for df in ("output_stationary", "weight_stationary"):
        print(f"GEMM 8x8 {df} (RTL on {sim}; SCALE-Sim 'Total Cycles', large SRAMs):")
        print(f"  {'shape':<10} {'M':>4} {'N':>5} {'K':>5} {'tiles':>6} {'cyc/job':>8} {'RTL cyc':>9} {'SCALE-Sim':>9} "
              f"{'ideal':>8} {'RTL/SS':>6} {'util':>6}")
        for r in utilisation_table(8, 8, df, shapes, work, sim, scalesim=ss[df]):
            print(f"  {r['shape']:<10} {r['M']:>4} {r['N']:>5} {r['K']:>5} {r['tiles']:>6} {r['rtl_interval']:>8.1f} "
                  f"{r['rtl_cycles']:>9} {r['scalesim_cycles']:>9} {r['ideal_cycles']:>8} {r['rtl_over_scalesim']:>6.3f} "
                  f"{r['utilisation']:>6.3f}")
    # short jobs (K < 2R + C - 1) on the output-stationary array: GemmSpec.acc_banks banks keep them K apart
    m = rtl_streaming_cycles(8, 8, 16, "output_stationary", work, sim, jobs=(4, 12))
    print(f"OS 8x8 K=16 streaming: {m['interval']:.2f} cycles/job measured (spans {m['spans']}); "
          f"K = 16 is 100 % MAC use (two banks gave (K + 2R + C - 1)/2 = {(16 + 16 + 7) / 2})")


def part_regress(jobs: int) -> None:
    from accelsmith.verification.campaigns.regress import regress

    r = regress(jobs=jobs)
    print(f"regress: {r['runs']} runs, {r['failed']} failed, wall {r['wall_s']:.1f} s with {jobs} jobs")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", action="append", choices=["mutate", "ppa", "fpga", "perf", "attention_tiles", "gemm_util",
                                                        "utilisation", "regress"])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-mutants", type=int, default=1000)
    ap.add_argument("--sim", default="verilator")
    ap.add_argument("--fpga", default="ecp5-85k", help="device of the fpga part")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="ppa, fpga and perf parts: only these named specs")
    args = ap.parse_args()
    if args.only:
        unknown = sorted(set(args.only) - set(NAMED))
        if unknown:
            ap.error(f"--only: unknown spec names {unknown}; known: {', '.join(NAMED)}")
        for name in list(NAMED):
            if name not in args.only:
                del NAMED[name]
    work = Path(tempfile.mkdtemp(prefix="accelsmith_figures_"))
    for part in args.part or ["ppa", "fpga", "perf", "attention_tiles", "gemm_util", "mutate", "regress"]:
        t0 = time.perf_counter()
        print(f"== {part}")
        {"mutate": lambda: part_mutate(args.jobs, args.max_mutants), "ppa": lambda: part_ppa(work, args.jobs),
         "fpga": lambda: part_fpga(work, args.jobs, args.fpga),
         "perf": lambda: part_perf(work, args.sim),
         "attention_tiles": lambda: part_attention_tiles(work, args.sim),
         "gemm_util": lambda: part_gemm_util(work, args.sim),
         "utilisation": lambda: part_gemm_util(work, args.sim),
         "regress": lambda: part_regress(args.jobs)}[part]()
        print(f"   ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
