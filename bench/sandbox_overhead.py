"""What the OS sandbox costs: whole design runs with and without it, side by side (alternating), and one tool start.

    .venv/bin/python bench/sandbox_overhead.py [SPEC.yaml] [--reps N]

Both sides rebuild (build cache off; ccache on for both), so the figures include a real Verilator and Icarus
build and bench. "without" runs the tools on the host as ``--unsafe-no-sandbox`` would where bubblewrap is missing
(same limits, same stripped environment, no namespaces).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from accelsmith import sandbox
from accelsmith.agents import design
from accelsmith.runstore import RunStore
from accelsmith.spec import load_spec


def _host_mode(on: bool) -> None:
    """Make ``sandbox`` believe bubblewrap is missing (and allowed to be), or restore it."""
    if hasattr(sandbox._bwrap_problem, "cache_clear"):
        sandbox._bwrap_problem.cache_clear()
    if on:
        sandbox._bwrap_problem = lambda: "benchmark: host side"  # type: ignore[assignment]
        sandbox.allow_unsandboxed(True)
    else:
        import importlib

        importlib.reload(sandbox)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("spec", nargs="?", default="examples/gemm_8x8_int8.yaml")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    os.environ["ACCELSMITH_BUILD_CACHE"] = "off"
    spec = load_spec(args.spec)
    console = Console(highlight=False)
    assert sandbox.status() == "bwrap", f"the sandbox must work here to compare: {sandbox.status()}"
    seconds: dict[str, list[float]] = {"sandboxed": [], "host": []}
    nodes: dict[str, dict[str, list[float]]] = {"sandboxed": {}, "host": {}}
    starts: dict[str, list[float]] = {"sandboxed": [], "host": []}
    with tempfile.TemporaryDirectory(prefix="accelsmith-sbx-") as tmp:
        store = RunStore(Path(tmp) / "runs")
        for rep in range(args.reps):
            for side in ("sandboxed", "host"):  # alternate, so load drifts hit both sides alike
                _host_mode(side == "host")
                from accelsmith import sandbox as sb

                for _ in range(10):
                    starts[side].append(sb.run(["/bin/true"], cwd=Path(tmp) / "start",
                                               limits=sb.Limits(wall_s=10)).wall_s)
                t0 = time.perf_counter()
                final = design(spec, store=store, sim="verilator", cross_check=["icarus"])
                seconds[side].append(time.perf_counter() - t0)
                assert final["status"] == "verified", final.get("stop_detail")
                for k, v in final["cost"].items():
                    if k.startswith("seconds."):
                        nodes[side].setdefault(k.removeprefix("seconds."), []).append(v)
                console.print(f"  rep {rep + 1} {side:<9} {seconds[side][-1]:6.2f} s")
        _host_mode(False)
    table = Table("", "sandboxed (median s)", "host (median s)", "overhead")
    for name in ("check", "verify"):
        a, b = statistics.median(nodes["sandboxed"][name]), statistics.median(nodes["host"][name])
        table.add_row(f"node {name}", f"{a:.2f}", f"{b:.2f}", f"{a - b:+.2f} s ({100 * (a - b) / b:+.0f} %)")
    a, b = statistics.median(seconds["sandboxed"]), statistics.median(seconds["host"])
    table.add_row("whole design run", f"{a:.2f}", f"{b:.2f}", f"{a - b:+.2f} s ({100 * (a - b) / b:+.0f} %)")
    a, b = statistics.median(starts["sandboxed"]), statistics.median(starts["host"])
    table.add_row("one tool start (/bin/true)", f"{1000 * a:.1f} ms", f"{1000 * b:.1f} ms", f"{1000 * (a - b):+.1f} ms")
    console.print(f"{spec.label}: {args.reps} design runs per side (Verilator + Icarus, builds not cached)")
    console.print(table)


if __name__ == "__main__":
    main()
