"""Simulator registry and the bench runner: build + run a TestPlan on RTL, with a wall-clock limit."""

from __future__ import annotations

import functools
import json
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
from accelsmith.registry import Registry
from accelsmith.verification._testplan import TestPlan


@dataclass(frozen=True)
class Simulator:
    name: str
    binary: str  # what must be on PATH to build


SIMULATORS: Registry[Simulator] = Registry("simulator")
for _s in (Simulator("verilator", "verilator"), Simulator("icarus", "iverilog")):
    SIMULATORS.register(_s.name, _s)
DEFAULT_SIMULATOR = "verilator"


def get_simulator(name: str) -> Simulator:
    """A simulator by name; a miss (``UnknownName``) lists the known ones."""
    return SIMULATORS.get(name)


def known_simulators() -> list[str]:
    return SIMULATORS.names()


class BenchResult(BaseModel):
    sim: str
    passed: bool
    built: bool
    timed_out: bool = False     # a stage was killed at one of its limits (``limit_hit`` says which)
    limit_hit: str | None = None  # "time", "memory", "cpu", "file size", "disk"
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
            return f"{self.sim}: {'simulation' if self.built else 'build'} killed at its {self.limit_hit or 'time'} limit"
        if not self.built:
            return f"{self.sim}: build failed ({len(self.diagnostics)} diagnostics)"
        n_pass = sum(c["passed"] for c in self.cases)
        return f"{self.sim}: {n_pass}/{len(self.cases)} cases passed"


@functools.cache
def _sim_versions(sim: str) -> dict[str, str]:
    import importlib.metadata

    versions = {"cocotb": importlib.metadata.version("cocotb")}
    if sim == "verilator":
        versions["verilator"] = importlib.metadata.version("verilator")
    else:
        versions["iverilog"] = subprocess.run(["iverilog", "-V"], capture_output=True, text=True,
                                              env=tool_env()).stdout[:80]
    return versions


def run_bench(sources: list[Path], top: str, plan: TestPlan, build_dir: Path, *, sim: str = DEFAULT_SIMULATOR,
              timeout_s: float | None = None, build_timeout_s: float | None = None, units: int = 1,
              size: str = "", waves: bool = False, cases: list[str] | None = None,
              fail_fast: bool = False, build_options: BuildOptions = DEFAULT_BUILD,
              use_cache: bool = True, memory_mb: int | None = None, output_mb: int = 512) -> BenchResult:
    """Build ``sources`` with ``sim`` in ``build_dir`` (its own folder) and run the generic bench on ``plan``.

    The sources are scanned first (``_security.guard``); the build and the simulation then each run in the OS
    sandbox (``accelsmith.sandbox``), the build killed after ``build_timeout_s`` and the simulation after
    ``timeout_s``; either left unset scales with the design (``units``, see ``_limits``). ``memory_mb`` bounds
    each stage's memory (default 12 GiB for a build, 8 GiB for a simulation), ``output_mb`` the largest file a
    simulation may write (its log, waves). ``size`` (e.g. "1024 PEs") names the design's size in a limit's message.
    A killed stage keeps everything it wrote in ``build_dir``.
    ``fail_fast`` fails the remaining cases unsimulated after the first failure (mutation runs).
    ``build_options`` sets how Verilator builds; ``use_cache`` reuses (and stores) the build of identical sources.
    """
    from accelsmith import sandbox
    from accelsmith.verification._build import build_key, fetch_cached, store_cached, tool_build_args
    from accelsmith.verification._security import guard

    simulator = get_simulator(sim)
    require(simulator.binary)
    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    sources = [Path(s).resolve() for s in sources]
    guard(sources, build_dir, (sim,))  # untrusted RTL: as written and as this simulator preprocesses it
    results_dir = build_dir / "cases"
    results_dir.mkdir(exist_ok=True)
    for stale in [*results_dir.glob("*.json"), build_dir / "timings.json"]:
        stale.unlink(missing_ok=True)
    plan_path = plan.save(build_dir / "plan.json")
    job = {"sim": sim, "top": top, "sources": [str(s) for s in sources],
           "build_dir": str(build_dir), "plan": str(plan_path), "results_dir": str(results_dir),
           "waves": waves, "cases": cases or [], "seed": plan.seed % (2**31),
           "build_options": asdict(build_options)}
    job_path = build_dir / "job.json"
    job_path.write_text(json.dumps(job))

    sim_limit = timeout_s if timeout_s is not None else sim_limit_s(sim, units, plan_cycles(plan, cases))
    build_limit = build_timeout_s if build_timeout_s is not None else limits_for(units, plan, sim).build_s
    env = tool_env({"ACCELSMITH_FAIL_FAST": "1" if fail_fast else "0"})
    readable = sorted({s.parent for s in sources})
    child = [sys.executable, "-m", "accelsmith.verification._sim_child", str(job_path)]
    t0 = time.perf_counter()
    killed: tuple[str, sandbox.Outcome] | None = None
    timings: dict = {}
    key = build_key(sim, job["sources"], top, waves=waves, options=build_options, build_args=tool_build_args(sim),
                    versions=_sim_versions(sim))
    if use_cache and fetch_cached(key, sim, top, build_dir):  # copied outside the sandbox: a build never writes the cache
        timings = {"build_s": time.perf_counter() - t0, "cached": True}
        rc = 0
    else:
        ccache = [Path(env["CCACHE_DIR"])] if env.get("OBJCACHE") and env.get("CCACHE_DIR") else []
        out = sandbox.run([*child, "build"], cwd=build_dir, readable=readable, shared_writable=ccache, env=env,
                          log=build_dir / "child_build.log",
                          limits=sandbox.Limits(wall_s=build_limit, memory_mb=memory_mb or 12288, file_mb=1024,
                                                disk_mb=4096))
        rc = out.returncode
        if out.killed:
            killed = ("build", out)
        timings = json.loads((build_dir / "timings.json").read_text()) if (build_dir / "timings.json").exists() else {}
        if rc == 0 and not out.killed and use_cache:
            store_cached(key, sim, top, build_dir)
    built = rc == 0 and killed is None and "build_s" in timings
    if built:
        out = sandbox.run([*child, "test"], cwd=build_dir, readable=readable, env=env, log=build_dir / "child.log",
                          limits=sandbox.Limits(wall_s=sim_limit, memory_mb=memory_mb or 8192, file_mb=output_mb,
                                                disk_mb=max(2048, 2 * output_mb)))
        rc = out.returncode
        if out.killed:
            killed = ("simulation", out)
        if (build_dir / "timings.json").exists():
            timings = {**timings, **json.loads((build_dir / "timings.json").read_text())}
    wall = time.perf_counter() - t0
    timed_out = killed is not None
    (build_dir / "pid.json").unlink(missing_ok=True)

    diags: list[Diagnostic] = []
    if not built and not timed_out:
        text = sandbox.read_capped(build_dir / "build.log") if (build_dir / "build.log").exists() else ""
        text = text or sandbox.read_capped(build_dir / "child_build.log")
        diags = parse_tool_output(sim, text)
        if not diags:
            diags = [Diagnostic(tool=sim, severity="error", message="build failed; see build.log")]
    if killed:
        stage, outcome = killed
        running = sorted({c.name for c in plan.cases} - {p.stem for p in results_dir.glob("*.json")},
                         key=lambda n: [c.name for c in plan.cases].index(n))
        where = f", case {running[0]!r} unfinished" if stage == "simulation" and running else ""
        what = f"{top}" + (f" ({size})" if size else "")
        if outcome.killed == "time":
            option = "--build-timeout" if stage == "build" else "--sim-timeout"
            limit = build_limit if stage == "build" else sim_limit
            code = "SIM_TIMEOUT" if stage == "simulation" else "BUILD_TIMEOUT"
            message = (f"{stage} of {what} on {sim} exceeded its {seconds(limit)} s limit after "
                       f"{seconds(outcome.wall_s)} s and was killed{where}; what it wrote is kept in {build_dir}; "
                       f"raise the limit with {option} SECONDS")
        else:
            code = "SIM_LIMIT" if stage == "simulation" else "BUILD_LIMIT"
            message = (f"{outcome.describe(f'{stage} of {what} on {sim}')}{where}; what it wrote is kept in {build_dir}"
                       + ("; raise the limit with --memory-mb MIB" if outcome.killed == "memory" else ""))
        diags.append(Diagnostic(tool=sim, severity="error", code=code, message=message))
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
    return BenchResult(sim=sim, passed=passed, built=built, timed_out=timed_out,
                       limit_hit=killed[1].killed if killed else None, cases=case_results,
                       diagnostics=diags, build_s=timings.get("build_s"), build_cached=bool(timings.get("cached")),
                       sim_s=timings.get("sim_s"), wall_s=wall,
                       junit=str(junit) if junit.exists() else None, build_dir=str(build_dir))
