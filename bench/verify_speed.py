"""Seconds per verify iteration (build + simulation) of a GEMM spec on Verilator cold, Verilator warm
(ccache) and Icarus, measured side by side, plus simulated cycles per job against the ideal.

    .venv/bin/python bench/verify_speed.py [SPEC.yaml] [--reps N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from accelsmith.agents._report import perf_figures
from accelsmith.hw_templates import get
from accelsmith.spec import load_spec
from accelsmith.verification import derive, run_bench


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("spec", nargs="?", default="examples/gemm_8x8_int8.yaml")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    spec = load_spec(args.spec)
    bundle = get(spec.kind).render(spec)
    plan = derive(spec)
    times: dict[str, list[tuple[float, float, float]]] = {"verilator cold": [], "verilator warm (ccache)": [],
                                                          "icarus": []}
    perf = None
    with tempfile.TemporaryDirectory() as tmp, Progress() as progress:
        task = progress.add_task("verify iterations", total=3 * args.reps)
        root = Path(tmp)
        sources = bundle.write(root / "rtl")
        for rep in range(args.reps):
            os.environ["CCACHE_DIR"] = str(root / f"ccache{rep}")  # empty cache: a cold C++ build
            for label, sim in (("verilator cold", "verilator"), ("verilator warm (ccache)", "verilator"),
                               ("icarus", "icarus")):
                res = run_bench(sources, bundle.top, plan, root / f"{rep}_{label.split()[0]}_{len(times[label])}",
                                sim=sim, timeout_s=600)
                if not res.passed:
                    raise SystemExit(f"{label}: bench failed: {res.summary()}")
                times[label].append((res.build_s or 0.0, res.sim_s or 0.0, res.wall_s))
                perf = perf or perf_figures(res.model_dump(), spec.ideal_job_cycles, spec.k)
                progress.advance(task)
    console = Console()
    table = Table("simulator", "build s", "sim s", "wall s (median)", "vs icarus")
    ice = statistics.median(t[2] for t in times["icarus"])
    for label, ts in times.items():
        wall = statistics.median(t[2] for t in ts)
        table.add_row(label, f"{statistics.median(t[0] for t in ts):.2f}", f"{statistics.median(t[1] for t in ts):.2f}",
                      f"{wall:.2f}", f"{wall / ice:.2f}x")
    console.print(f"{spec.summary()}: {len(plan.cases)} cases, {sum(c.jobs for c in plan.cases)} jobs, reps={args.reps}")
    console.print(table)
    console.print(f"cycles: {perf}")


if __name__ == "__main__":
    main()
