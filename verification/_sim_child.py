"""Runs one build + bench in a child process so the parent can enforce a wall-clock limit.

Usage: python -m accelsmith.verification._sim_child JOB.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(job_path: str) -> int:
    job = json.loads(Path(job_path).read_text())
    from cocotb_tools.runner import get_runner

    runner = get_runner(job["sim"])
    build_dir = Path(job["build_dir"])
    timings = {}
    t0 = time.perf_counter()
    build_args = ["-g2012"] if job["sim"] == "icarus" else ["-Wno-fatal", "-Wno-lint", "-Wno-style"]
    try:
        runner.build(
            sources=job["sources"], hdl_toplevel=job["top"], build_dir=build_dir, build_args=build_args,
            always=True, waves=job.get("waves", False), timescale=("1ns", "1ps"),
            log_file=build_dir / "build.log",
        )
    except (SystemExit, Exception) as err:  # the build log holds the compiler's own words
        timings["build_s"] = time.perf_counter() - t0
        (build_dir / "timings.json").write_text(json.dumps(timings))
        print(f"BUILD FAILED: {err}", file=sys.stderr)
        return 3
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
        test_module="accelsmith.verification.bench", hdl_toplevel=job["top"], build_dir=build_dir,
        test_dir=build_dir, results_xml=str(build_dir / "results.xml"), waves=job.get("waves", False),
        extra_env={"ACCELSMITH_PLAN": job["plan"], "ACCELSMITH_RESULTS": job["results_dir"],
                   "ACCELSMITH_CASES": ",".join(job.get("cases", []))},
        seed=job.get("seed", 1), log_file=build_dir / "sim.log", timescale=("1ns", "1ps"),
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
