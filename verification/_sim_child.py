"""Runs one build + bench in a child process so the parent can enforce a wall-clock limit.

Usage: python -m accelsmith.verification._sim_child JOB.json build|test (each stage in its own sandbox)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _die_with_parent(interval_s: float = 0.5) -> None:
    """Kill this process group (the build or simulator included) once the parent is gone: a bench never outlives
    the design run that started it, even when that run is SIGKILLed. This process leads its own group."""
    import os
    import signal
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            if os.getppid() != parent:
                os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True, name="die-with-parent").start()


def main(job_path: str, stage: str) -> int:
    """``build``: compile the design (exit 3 on a compiler error); ``test``: run the bench on that build."""
    _die_with_parent()
    job = json.loads(Path(job_path).read_text())
    from cocotb_tools.runner import get_runner

    from accelsmith.verification._build import BuildOptions, tool_build_args, verilator_runner

    build_dir = Path(job["build_dir"])
    timings_path = build_dir / "timings.json"
    sim, top = job["sim"], job["top"]
    options = BuildOptions(**job.get("build_options", {}))
    runner = verilator_runner(options, top, build_dir) if sim == "verilator" else get_runner(sim)
    t0 = time.perf_counter()
    if stage == "build":
        try:
            runner.build(
                sources=job["sources"], hdl_toplevel=top, build_dir=build_dir, build_args=tool_build_args(sim),
                always=True, waves=job.get("waves", False), timescale=("1ns", "1ps"),
                log_file=build_dir / "build.log",
            )
        except (SystemExit, Exception) as err:  # the build log holds the compiler's own words
            print(f"BUILD FAILED: {err}", file=sys.stderr)
            return 3
        timings_path.write_text(json.dumps({"build_s": time.perf_counter() - t0}))
        return 0
    try:
        _run_tests(runner, job, build_dir)
    except (SystemExit, Exception) as err:  # failing cases are reported through the per-case JSON files
        print(f"bench finished with failures: {err}", file=sys.stderr)
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}
    timings_path.write_text(json.dumps({**timings, "sim_s": time.perf_counter() - t0}))
    return 0


def _run_tests(runner, job: dict, build_dir: Path) -> None:
    runner.test(
        test_module="accelsmith.verification.testbench", hdl_toplevel=job["top"], hdl_toplevel_lang="verilog",
        build_dir=build_dir,
        test_dir=build_dir, results_xml=str(build_dir / "results.xml"), waves=job.get("waves", False),
        extra_env={"ACCELSMITH_PLAN": job["plan"], "ACCELSMITH_RESULTS": job["results_dir"],
                   "ACCELSMITH_CASES": ",".join(job.get("cases", []))},
        seed=job.get("seed", 1), log_file=build_dir / "sim.log", timescale=("1ns", "1ps"),
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
