"""Simulator registry and the bench runner: build + run a TestPlan on RTL, with a wall-clock limit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from accelsmith.diagnostics import Diagnostic
from accelsmith.tools import require, tool_env
from accelsmith.verification._build import DEFAULT_BUILD, BuildOptions
from accelsmith.verification._limits import limits_for, plan_cycles, seconds, sim_limit_s
from accelsmith.verification._lint import parse_tool_output
from accelsmith.verification._testplan import TestPlan


@dataclass(frozen=True)
class Simulator:
    name: str
    binary: str  # what must be on PATH to build


_SIMULATORS = {s.name: s for s in (Simulator("verilator", "verilator"), Simulator("icarus", "iverilog"))}
DEFAULT_SIMULATOR = "verilator"


def get_simulator(name: str) -> Simulator:
    try:
        return _SIMULATORS[name]
    except KeyError:
        raise ValueError(f"unknown simulator {name!r}; known: {', '.join(sorted(_SIMULATORS))}") from None


def known_simulators() -> list[str]:
    return sorted(_SIMULATORS)


class BenchResult(BaseModel):
    sim: str
    passed: bool
    built: bool
    timed_out: bool = False
    cases: list[dict] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    build_s: float | None = None
    build_cached: bool = False
    sim_s: float | None = None
    wall_s: float = 0.0
    junit: str | None = None
    build_dir: str

    @property
    def failed_cases(self) -> list[dict]:
        return [c for c in self.cases if not c["passed"]]

    def summary(self) -> str:
        if self.timed_out:
            return f"{self.sim}: {'simulation' if self.built else 'build'} killed at its time limit"
        if not self.built:
            return f"{self.sim}: build failed ({len(self.diagnostics)} diagnostics)"
        n_pass = sum(c["passed"] for c in self.cases)
        return f"{self.sim}: {n_pass}/{len(self.cases)} cases passed"


def run_bench(sources: list[Path], top: str, plan: TestPlan, build_dir: Path, *, sim: str = DEFAULT_SIMULATOR,
              timeout_s: float | None = None, build_timeout_s: float | None = None, units: int = 1,
              size: str = "", waves: bool = False, cases: list[str] | None = None,
              fail_fast: bool = False, build_options: BuildOptions = DEFAULT_BUILD,
              use_cache: bool = True) -> BenchResult:
    """Build ``sources`` with ``sim`` in ``build_dir`` (its own folder) and run the generic bench on ``plan``.

    The build and simulation run in a child process group. The build is killed after ``build_timeout_s`` and
    the simulation ``timeout_s`` after the build finished; either left unset scales with the design
    (``units``, see ``_limits``). ``size`` (e.g. "1024 PEs") names the design's size in a limit's message.
    A killed stage keeps everything it wrote in ``build_dir``.
    ``fail_fast`` fails the remaining cases unsimulated after the first failure (mutation runs).
    ``build_options`` sets how Verilator builds; ``use_cache`` reuses (and stores) the build of identical sources.
    """
    simulator = get_simulator(sim)
    require(simulator.binary)
    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    results_dir = build_dir / "cases"
    results_dir.mkdir(exist_ok=True)
    for stale in results_dir.glob("*.json"):
        stale.unlink()
    plan_path = plan.save(build_dir / "plan.json")
    job = {"sim": sim, "top": top, "sources": [str(Path(s).resolve()) for s in sources],
           "build_dir": str(build_dir), "plan": str(plan_path), "results_dir": str(results_dir),
           "waves": waves, "cases": cases or [], "seed": plan.seed % (2**31),
           "build_options": asdict(build_options), "use_cache": use_cache}
    job_path = build_dir / "job.json"
    job_path.write_text(json.dumps(job))

    sim_limit = timeout_s if timeout_s is not None else sim_limit_s(sim, units, plan_cycles(plan, cases))
    build_limit = build_timeout_s if build_timeout_s is not None else limits_for(units, plan, sim).build_s
    t0 = time.perf_counter()
    log = (build_dir / "child.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "accelsmith.verification._sim_child", str(job_path)],
                            cwd=build_dir, env=tool_env({"ACCELSMITH_FAIL_FAST": "1" if fail_fast else "0"}),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    (build_dir / "pid.json").write_text(json.dumps({"child": proc.pid}))  # its process group, for whoever cleans up
    timed_out = False
    killed: tuple[str, float, float] | None = None  # (stage, limit, seconds used)
    built_at: float | None = None
    try:
        while True:
            try:
                rc = proc.wait(timeout=0.25)
                break
            except subprocess.TimeoutExpired:
                now = time.perf_counter()
                if built_at is None and (build_dir / "timings.json").exists():
                    built_at = now
                if built_at is None and now - t0 > build_limit:
                    killed = ("build", build_limit, now - t0)
                elif built_at is not None and now - built_at > sim_limit:
                    killed = ("simulation", sim_limit, now - built_at)
                if killed:
                    timed_out = True
                    os.killpg(proc.pid, signal.SIGKILL)
                    rc = proc.wait()
                    break
    finally:
        if proc.poll() is None:  # interrupted (Ctrl-C): no simulator outlives its bench
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    wall = time.perf_counter() - t0

    timings = {}
    if (build_dir / "timings.json").exists():
        timings = json.loads((build_dir / "timings.json").read_text())
    built = "build_s" in timings and rc != 3
    diags: list[Diagnostic] = []
    if rc == 3:
        text = (build_dir / "build.log").read_text(errors="replace") if (build_dir / "build.log").exists() else ""
        diags = parse_tool_output(sim, text)
        if not diags:
            diags = [Diagnostic(tool=sim, severity="error", message="build failed; see build.log")]
    if timed_out and killed:
        stage, limit, used = killed
        running = sorted({c.name for c in plan.cases} - {p.stem for p in results_dir.glob("*.json")},
                         key=lambda n: [c.name for c in plan.cases].index(n))
        where = f", case {running[0]!r} unfinished" if stage == "simulation" and running else ""
        option = "--build-timeout" if stage == "build" else "--sim-timeout"
        what = f"{top}" + (f" ({size})" if size else "")
        diags.append(Diagnostic(tool=sim, severity="error", code="SIM_TIMEOUT" if stage == "simulation" else "BUILD_TIMEOUT",
                                message=f"{stage} of {what} on {sim} exceeded its {seconds(limit)} s limit after {seconds(used)} s "
                                        f"and was killed{where}; what it wrote is kept in {build_dir}; "
                                        f"raise the limit with {option} SECONDS"))
    case_results = [json.loads(p.read_text()) for p in sorted(results_dir.glob("*.json"))]
    order = {c.name: i for i, c in enumerate(plan.cases)}
    case_results.sort(key=lambda r: order.get(r["case"], 1 << 30))
    wanted = cases or [c.name for c in plan.cases]
    done = {r["case"] for r in case_results}
    for name in wanted:
        if name not in done and built and not timed_out:
            case_results.append({"case": name, "passed": False, "crashed": True, "mismatches": [],
                                 "timed_out": False, "tags": []})
            diags.append(Diagnostic(tool=sim, severity="error", code="SIM_CRASH",
                                    message=f"case {name!r} produced no result (simulator exited with {rc})"))
    passed = built and not timed_out and bool(case_results) and all(r["passed"] for r in case_results)
    junit = build_dir / "results.xml"
    return BenchResult(sim=sim, passed=passed, built=built, timed_out=timed_out, cases=case_results,
                       diagnostics=diags, build_s=timings.get("build_s"), build_cached=bool(timings.get("cached")),
                       sim_s=timings.get("sim_s"), wall_s=wall,
                       junit=str(junit) if junit.exists() else None, build_dir=str(build_dir))
