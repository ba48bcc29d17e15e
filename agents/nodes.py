"""Graph nodes, one verb each. Return types name where each node may go next."""

from __future__ import annotations

import functools
import shutil
import time
from pathlib import Path
from typing import Literal

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END
from langgraph.types import Command

from accelsmith.agents._backends import get_backend
from accelsmith.agents._budget import exhausted
from accelsmith.agents._chat import LLMError
from accelsmith.agents._feedback import build_feedback, failure_window, rtl_sources
from accelsmith.agents._fixers import apply_fixers
from accelsmith.agents._prompting import port_header
from accelsmith.agents._report import write_final_artifacts
from accelsmith.agents.config import RunConfig, run_config
from accelsmith.agents.state import DesignState
from accelsmith.diagnostics import Diagnostic, has_errors
from accelsmith.errors import ToolMissing
from accelsmith.hw_templates import RtlBundle, get as get_template, known_templates
from accelsmith.runstore import write_json
from accelsmith.spec import spec_from_dict
from accelsmith.verification._limits import cross_check_plan, limits_for
from accelsmith.verification import (TestPlan, derive, lint_pyslang, lint_verilator, ppa, refusals, run_bench,
                                     scan_preprocessed, scan_rtl)


def timed(fn):
    """Hands the node the run's configuration (``config['configurable']['run']``) beside its state, and adds the
    node's wall time to ``cost['seconds.<node>']``."""

    @functools.wraps(fn)
    def wrapper(state: DesignState, config: RunnableConfig) -> Command:
        t0 = time.perf_counter()
        cmd = fn(state, run_config(config))
        dt = round(time.perf_counter() - t0, 3)
        update = dict(cmd.update or {})
        update["cost"] = {**update.get("cost", {}), f"seconds.{fn.__name__}": dt}
        return Command(goto=cmd.goto, update=update)

    del wrapper.__wrapped__  # LangGraph reads the wrapper's own signature: it takes ``config``
    return wrapper


def _iter_dir(state: DesignState, iteration: int | None = None) -> Path:
    return Path(state["run_dir"]) / f"iter_{(iteration or state['iteration']):02d}"


def _backend(cfg: RunConfig):
    return get_backend(cfg.backend, **cfg.backend_options)


def _testplan(state: DesignState) -> TestPlan:
    return TestPlan.load(Path(state["run_dir"]) / "testplan.json")


def _stop(reason: str, detail: str, **update) -> Command:
    return Command(goto="report", update={**update, "status": "failed", "stop_reason": reason, "stop_detail": detail})


@timed
def plan(state: DesignState, cfg: RunConfig) -> Command[Literal["draft", "report"]]:
    spec = spec_from_dict(state["spec"])
    run_dir = Path(state["run_dir"])
    scratch = cfg.force_scratch or spec.kind not in known_templates()
    testplan = derive(spec)
    testplan_path = testplan.save(run_dir / "testplan.json")
    backend = _backend(cfg)
    chosen = {"approach": "scratch" if scratch else "template", "kind": spec.kind,
              "cases": [c.name for c in testplan.cases], "coverage": testplan.coverage,
              "testplan_path": str(testplan_path), "work_dir": str(run_dir), "sim": cfg.sim,
              "template_withheld": cfg.force_scratch and spec.kind in known_templates()}
    top = f"{spec.kind}_top"
    if backend.name == "user":  # the user's own RTL, verified as given
        chosen["approach"] = "user"
        top = backend.top
    elif not scratch:
        bundle = get_template(spec.kind).render(spec)
        top = bundle.top
        if backend.name != "expert":  # an LLM adapts the template rather than copying it
            chosen["template_rtl"] = dict(bundle.files)
    chosen.update(top=top, header=port_header(testplan, top))
    cost: dict = {}
    if backend.name != "user" and hasattr(backend, "plan") and cfg.backend_options.get("llm_plan", True):
        try:
            llm_plan, usage = backend.plan(spec, {"approach": chosen["approach"]})
        except LLMError as err:
            return _stop("unrecoverable", f"plan: {err}", plan=chosen, iteration=0)
        cost = usage.cost()
        chosen["llm_plan"] = llm_plan  # None when every reply failed validation: draft without it
        write_json(run_dir / "plan.json", {"plan": llm_plan, "replies": usage.replies, "notes": usage.notes})
    return Command(goto="draft", update={"plan": chosen, "iteration": 0, "status": "running", "cost": cost})


@timed
def draft(state: DesignState, cfg: RunConfig) -> Command[Literal["check", "debug", "report"]]:
    why = exhausted(state, cfg)
    if why:
        return _stop("budget", why)
    spec = spec_from_dict(state["spec"])
    backend = _backend(cfg)
    iteration = state["iteration"] + 1
    it_dir = _iter_dir(state, iteration)
    try:
        result = backend.draft(spec, state["plan"], state.get("feedback"))
    except LLMError as err:
        return _stop("unrecoverable", f"draft: {err}", iteration=iteration)
    write_json(it_dir / "draft.json", {"model": result.model, "notes": result.notes, "usage": result.usage,
                                       "counters": result.counters, "replies": result.replies})
    update = {"iteration": iteration, "cost": result.cost(), "bench": {}, "stop_reason": "", "stop_detail": ""}
    if result.bundle is None:
        detail = "; ".join(result.notes[-2:]) or "the backend produced no RTL"
        if not backend.can_repair:
            return _stop("unrecoverable", detail, **update)
        diag = Diagnostic(tool="llm", severity="error", code="NO_CODE", message=detail[:500])
        write_json(it_dir / "diagnostics.json", [diag.model_dump()])
        return Command(goto="debug", update={**update, "diagnostics": [diag.model_dump()]})
    rtl_dir = it_dir / "rtl"
    if rtl_dir.exists():  # a resumed draft replaces a half-written one
        shutil.rmtree(rtl_dir)
    result.bundle.write(rtl_dir)
    return Command(goto="check", update={**update, "rtl": dict(result.bundle.files), "top": result.bundle.top})


@timed
def check(state: DesignState, cfg: RunConfig) -> Command[Literal["verify", "debug"]]:
    it_dir = _iter_dir(state)
    sources = rtl_sources(it_dir / "rtl")
    findings = scan_rtl(state["rtl"])
    if not findings:  # as each simulator's own preprocessor (sandboxed) makes it: names assembled by macros
        pp = scan_preprocessed(sources, it_dir, tools=tuple(dict.fromkeys([cfg.sim, *cfg.cross_check])))
        findings = refusals(pp)
    if findings:  # unsafe RTL never reaches a tool
        write_json(it_dir / "diagnostics.json", [d.model_dump() for d in findings])
        return Command(goto="debug", update={"diagnostics": [d.model_dump() for d in findings],
                                             "stop_reason": "unsafe_rtl"})
    spec = spec_from_dict(state["spec"])
    lint_s = cfg.limits.lint_s or limits_for(spec.design_units, _testplan(state), cfg.sim).lint_s

    def lint(folder: Path) -> list[Diagnostic]:
        srcs = rtl_sources(folder)
        return lint_pyslang(srcs, state["top"], folder.parent) + lint_verilator(
            srcs, state["top"], folder.parent, timeout_s=lint_s, size=spec.size_label)

    diags = lint(it_dir / "rtl")
    update: dict = {}
    if has_errors(diags) and cfg.fixers and cfg.backend not in ("expert", "user"):  # never rewrite a user's RTL
        fixed, diags, records = _fix(state["rtl"], diags, it_dir, lint)
        write_json(it_dir / "fixes.json", records)
        kept = sum(r["kept"] for r in records)
        update["cost"] = {"fixes_applied": kept, "fixes_undone": len(records) - kept}
        if fixed != state["rtl"]:
            update["rtl"] = fixed
    write_json(it_dir / "diagnostics.json", [d.model_dump() for d in diags])
    update["diagnostics"] = [d.model_dump() for d in diags]
    return Command(goto="debug" if has_errors(diags) else "verify", update=update)


def _fix(files: dict[str, str], diags: list[Diagnostic], it_dir: Path, lint) -> tuple[dict, list[Diagnostic], list]:
    """Mechanical fixes (``agents._fixers``): each trial is linted in its own folder; the draft as written stays in
    ``rtl_as_drafted/`` and the fixed files replace ``rtl/``. Returns (files, their diagnostics, fix records)."""
    trials = 0

    def relint(trial: dict[str, str]) -> list[Diagnostic]:
        nonlocal trials
        trials += 1
        folder = it_dir / f"fix_{trials:02d}" / "rtl"
        RtlBundle(files=trial, top="").write(folder)
        return lint(folder)

    fixed, records = apply_fixers(files, diags, relint)
    if fixed == files or scan_rtl(fixed):  # a rewrite adds no construct the scan refuses; checked all the same
        return files, diags, records
    shutil.copytree(it_dir / "rtl", it_dir / "rtl_as_drafted", dirs_exist_ok=True)
    shutil.rmtree(it_dir / "rtl")
    RtlBundle(files=fixed, top="").write(it_dir / "rtl")
    return fixed, lint(it_dir / "rtl"), records


@timed
def verify(state: DesignState, cfg: RunConfig) -> Command[Literal["estimate", "report", "debug"]]:
    it_dir = _iter_dir(state)
    testplan = _testplan(state)
    sources = rtl_sources(it_dir / "rtl")
    results = {}
    diags = list(state.get("diagnostics", []))
    spec = spec_from_dict(state["spec"])
    limits = cfg.limits
    for sim in [cfg.sim, *cfg.cross_check]:
        # a slow second simulator on a large design runs every corner case but fewer random jobs
        plan = testplan if sim == cfg.sim else cross_check_plan(sim, spec.design_units, testplan)
        res = run_bench(sources, state["top"], plan, it_dir / f"bench_{sim}", sim=sim,
                        timeout_s=limits.sim_s or cfg.bench_timeout_s,
                        build_timeout_s=limits.build_s, units=spec.design_units, size=spec.size_label,
                        memory_mb=limits.memory_mb)
        results[sim] = {**res.model_dump(), "reduced_plan": plan is not testplan}
        diags += [d.model_dump() for d in res.diagnostics]
        if not res.passed:
            break  # a failing primary result is what the next step needs; cross-checks add nothing
    write_json(it_dir / "diagnostics.json", diags)
    passed = all(r["passed"] for r in results.values()) and len(results) == 1 + len(cfg.cross_check)
    record = {"iteration": state["iteration"], "passed": passed,
              "sims": {s: {"passed": r["passed"], "failed_cases": [c["case"] for c in r["cases"] if not c["passed"]]}
                       for s, r in results.items()}}
    update = {"bench": results, "diagnostics": diags}
    if passed:
        return Command(goto="estimate" if cfg.estimate else "report",
                       update={**update, "history": [record], "status": "verified", "stop_reason": "verified",
                               "stop_detail": ""})
    return Command(goto="debug", update={**update, "history": [record]})


@timed
def estimate(state: DesignState, cfg: RunConfig) -> Command[Literal["report"]]:
    """Synthesis (yosys cells, flip-flops, depth) and simulated cycles of the verified design -> ppa.json."""
    bench = (state.get("bench") or {}).get(cfg.sim, {})
    lanes = None
    out_fields = _testplan(state).out.fields.values()
    if out_fields:
        lanes = sum(f.lanes for f in out_fields)
    try:
        figures = ppa(RtlBundle(files=state["rtl"], top=state["top"]), _iter_dir(state) / "ppa",
                      bench_cases=bench.get("cases"), lanes_out=lanes, timeout_s=cfg.bench_timeout_s or 600)
    except ToolMissing as err:  # a missing synthesiser costs the figures, not the verified design
        figures = {"top": state["top"], "synth": {"ok": False, "error": str(err)}}
    write_json(Path(state["run_dir"]) / "ppa.json", figures)
    return Command(goto="report", update={"ppa": figures})


@timed
def debug(state: DesignState, cfg: RunConfig) -> Command[Literal["draft", "report"]]:
    testplan = _testplan(state)
    feedback = build_feedback(state, testplan)
    backend = _backend(cfg)
    history = []
    if not state.get("bench"):  # failed before simulation: record this iteration here
        history = [{"iteration": state["iteration"], "passed": False, "errors": len(feedback["errors"])}]
    why = exhausted(state, cfg)
    if cfg.waves and feedback["failing_cases"] and not (why and "wall_clock" in why):
        window = failure_window(Path(state["run_dir"]), _iter_dir(state), state["top"], testplan,
                                feedback["failing_cases"])
        feedback["failure_window"] = window
    write_json(_iter_dir(state) / "feedback.json", {k: v for k, v in feedback.items() if k != "previous_rtl"})
    update = {"feedback": feedback, "history": history}
    if not backend.can_repair:
        return _stop(state.get("stop_reason") or "unrecoverable", "the backend cannot repair a failing design",
                     **update)
    if why:
        return _stop("budget", why, **update)
    return Command(goto="draft", update={**update, "stop_reason": ""})


@timed
def report(state: DesignState, cfg: RunConfig) -> Command[Literal["__end__"]]:
    write_final_artifacts(state, cfg)
    return Command(goto=END, update={"status": state.get("status") or "failed"})
