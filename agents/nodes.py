"""Graph nodes, one verb each. Return types name where each node may go next."""

from __future__ import annotations

import functools
import shutil
import time
from pathlib import Path
from typing import Literal

from langgraph.graph import END
from langgraph.types import Command

from accelsmith.agents._backends import get_backend
from accelsmith.agents._report import write_final_artifacts
from accelsmith.agents.state import DesignState
from accelsmith.diagnostics import Diagnostic
from accelsmith.hw_templates import known_templates
from accelsmith.runstore import write_json
from accelsmith.spec import spec_from_dict
from accelsmith.verification import TestPlan, derive, lint_pyslang, lint_verilator, run_bench, scan_rtl

MAX_FEEDBACK_MISMATCHES = 5


def timed(fn):
    """Adds the node's wall time to ``cost['seconds.<node>']``."""

    @functools.wraps(fn)
    def wrapper(state: DesignState) -> Command:
        t0 = time.perf_counter()
        cmd = fn(state)
        dt = round(time.perf_counter() - t0, 3)
        update = dict(cmd.update or {})
        update["cost"] = {**update.get("cost", {}), f"seconds.{fn.__name__}": dt}
        return Command(goto=cmd.goto, update=update)

    return wrapper


def _iter_dir(state: DesignState, iteration: int | None = None) -> Path:
    return Path(state["run_dir"]) / f"iter_{(iteration or state['iteration']):02d}"


@timed
def plan(state: DesignState) -> Command[Literal["draft"]]:
    spec = spec_from_dict(state["spec"])
    approach = "template" if spec.kind in known_templates() else "scratch"
    testplan = derive(spec)
    testplan.save(Path(state["run_dir"]) / "testplan.json")
    return Command(goto="draft", update={"plan": {"approach": approach, "kind": spec.kind,
                                                  "cases": [c.name for c in testplan.cases],
                                                  "coverage": testplan.coverage},
                                         "iteration": 0, "status": "running"})


@timed
def draft(state: DesignState) -> Command[Literal["check", "report"]]:
    spec = spec_from_dict(state["spec"])
    backend = get_backend(state["backend"])
    iteration = state["iteration"] + 1
    result = backend.draft(spec, state["plan"], state.get("feedback"))
    cost = {"tokens_in": result.tokens_in, "tokens_out": result.tokens_out}
    if result.bundle is None:
        return Command(goto="report", update={"iteration": iteration, "cost": cost, "status": "failed",
                                              "stop_reason": "unrecoverable"})
    rtl_dir = _iter_dir(state, iteration) / "rtl"
    if rtl_dir.exists():  # a resumed draft replaces a half-written one
        shutil.rmtree(rtl_dir)
    result.bundle.write(rtl_dir)
    return Command(goto="check", update={"iteration": iteration, "rtl": dict(result.bundle.files),
                                         "top": result.bundle.top, "cost": cost, "bench": {}})


@timed
def check(state: DesignState) -> Command[Literal["verify", "debug"]]:
    it_dir = _iter_dir(state)
    findings = scan_rtl(state["rtl"])
    if findings:  # unsafe RTL never reaches a tool
        write_json(it_dir / "diagnostics.json", [d.model_dump() for d in findings])
        return Command(goto="debug", update={"diagnostics": [d.model_dump() for d in findings],
                                             "stop_reason": "unsafe_rtl"})
    sources = sorted((it_dir / "rtl").glob("*.v"))
    diags: list[Diagnostic] = lint_pyslang(sources, state["top"]) + lint_verilator(sources, state["top"], it_dir)
    write_json(it_dir / "diagnostics.json", [d.model_dump() for d in diags])
    dumped = [d.model_dump() for d in diags]
    if any(d.severity == "error" for d in diags):
        return Command(goto="debug", update={"diagnostics": dumped})
    return Command(goto="verify", update={"diagnostics": dumped})


@timed
def verify(state: DesignState) -> Command[Literal["report", "debug"]]:
    it_dir = _iter_dir(state)
    testplan = TestPlan.load(Path(state["run_dir"]) / "testplan.json")
    sources = sorted((it_dir / "rtl").glob("*.v"))
    results = {}
    diags = list(state.get("diagnostics", []))
    for sim in [state["sim"], *state.get("cross_check", [])]:
        res = run_bench(sources, state["top"], testplan, it_dir / f"bench_{sim}", sim=sim,
                        timeout_s=state.get("bench_timeout_s", 600))
        results[sim] = res.model_dump()
        diags += [d.model_dump() for d in res.diagnostics]
        if not res.passed:
            break  # a failing primary result is what the next step needs; cross-checks add nothing
    write_json(it_dir / "diagnostics.json", diags)
    passed = all(r["passed"] for r in results.values()) and len(results) == 1 + len(state.get("cross_check", []))
    record = {"iteration": state["iteration"], "passed": passed,
              "sims": {s: {"passed": r["passed"], "failed_cases": [c["case"] for c in r["cases"] if not c["passed"]]}
                       for s, r in results.items()}}
    update = {"bench": results, "diagnostics": diags}
    if passed:
        return Command(goto="report", update={**update, "history": [record], "status": "verified",
                                              "stop_reason": "verified"})
    return Command(goto="debug", update={**update, "history": [record]})


def build_feedback(state: DesignState) -> dict:
    """Structured feedback for the next draft: diagnostics and the first failing vectors, no raw logs."""
    errors = [d for d in state.get("diagnostics", []) if d["severity"] == "error"]
    failing = []
    for sim, res in (state.get("bench") or {}).items():
        for case in res["cases"]:
            if not case["passed"]:
                failing.append({"sim": sim, "case": case["case"], "timed_out": case.get("timed_out", False),
                                "received_beats": case.get("received_beats"),
                                "expected_beats": case.get("expected_beats"),
                                "mismatches": case.get("mismatches", [])[:MAX_FEEDBACK_MISMATCHES]})
    return {"iteration": state["iteration"], "errors": errors[:20], "failing_cases": failing[:5]}


@timed
def debug(state: DesignState) -> Command[Literal["draft", "report"]]:
    feedback = build_feedback(state)
    backend = get_backend(state["backend"])
    history = []
    if not state.get("bench"):  # failed before simulation: record this iteration here
        history = [{"iteration": state["iteration"], "passed": False, "errors": len(feedback["errors"])}]
    if not backend.can_repair:
        return Command(goto="report", update={"feedback": feedback, "history": history, "status": "failed",
                                              "stop_reason": state.get("stop_reason") or "unrecoverable"})
    if state["iteration"] >= state["max_iterations"]:
        return Command(goto="report", update={"feedback": feedback, "history": history, "status": "failed",
                                              "stop_reason": "budget"})
    return Command(goto="draft", update={"feedback": feedback, "history": history, "stop_reason": ""})


@timed
def report(state: DesignState) -> Command[Literal["__end__"]]:
    write_final_artifacts(state)
    return Command(goto=END, update={"status": state.get("status") or "failed"})
