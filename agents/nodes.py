"""Graph nodes, one verb each. Return types name where each node may go next."""

from __future__ import annotations

import functools
import inspect
import shutil
import time
from pathlib import Path
from typing import Literal

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END
from langgraph.types import Command

from accelsmith.agents._backends import Candidate, Sampling, get_backend
from accelsmith.agents._budget import exhausted
from accelsmith.agents._chat import LLMError
from accelsmith.agents._llm import RETRY_TEMPERATURE
from accelsmith.agents._feedback import build_feedback, failure_window, rtl_sources
from accelsmith.agents._candidates import fingerprint, judge, rank, screen
from accelsmith.agents._prompting import (beat_port_header, core_port_header, lane_port_header, module_header,
                                          port_header)
from accelsmith.agents._report import write_final_artifacts
from accelsmith.agents._retrieve import closest_verified
from accelsmith.agents.config import RunConfig, run_config
from accelsmith.agents.state import DesignState
from accelsmith.diagnostics import Diagnostic
from accelsmith.errors import ToolMissing
from accelsmith.hw_templates import RtlBundle, get as get_template, known_templates
from accelsmith.rtl import MAX_BEAT_PORTS, beat_core, beat_ports, lane_core, stream_shell
from accelsmith.runstore import write_json
from accelsmith.spec import spec_from_dict
from accelsmith.verification._limits import cross_check_plan
from accelsmith.verification import TestPlan, derive, ppa, run_bench


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
    chosen.update(top=top, header=port_header(testplan, top), module_header=module_header(testplan, top))
    if chosen["approach"] == "scratch" and cfg.shell and backend.can_repair and spec.beat_function:
        chosen["shell"] = _shell(spec, testplan, top)
    if chosen["approach"] == "scratch" and cfg.retrieve and backend.can_repair:  # nothing to adapt: the closest
        ref = closest_verified(spec, run_dir)                                     # design verified here before
        if ref:
            chosen["reference"] = ref
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
    tried = list(state.get("tried") or [])
    seed = spec.seed % (1 << 30) + 1000 * iteration
    sampling = Sampling(cfg.candidates, cfg.temperature, seed) if cfg.candidates > 1 else None
    try:
        result = _draft(backend, spec, state, sampling)
        fresh = _fresh(result, tried)
        if result.candidates and not fresh and backend.can_repair and _samples(backend):
            # every candidate repeats a design already checked (a repair prompt shows the previous design, and small
            # models copy it): sample from the first draft's prompt, without it, instead of checking it again
            again = _draft(backend, spec, state,
                           Sampling(cfg.candidates, max(cfg.temperature, RETRY_TEMPERATURE), seed + 500, greedy_first=False),
                           feedback=False)
            result.absorb(again)
            result.counters["resampled_after_repeat"] = result.counters.get("resampled_after_repeat", 0) + 1
            fresh = _fresh(again, tried)
    except LLMError as err:
        return _stop("unrecoverable", f"draft: {err}", iteration=iteration)
    listed = [{"model": c.model, "temperature": c.temperature, "seed": c.seed,
               "fingerprint": fingerprint(c.bundle.files), "repeat": c not in fresh, "notes": c.notes}
              for c in result.candidates]
    write_json(it_dir / "draft.json", {"model": result.model, "notes": result.notes, "usage": result.usage,
                                       "counters": result.counters, "replies": result.replies, "candidates": listed})
    update = {"iteration": iteration, "cost": result.cost(), "bench": {}, "stop_reason": "", "stop_detail": ""}
    if not result.candidates and result.bundle is not None:  # a backend that drafts one design, not candidates
        fresh = [Candidate(result.bundle, model=result.model)]
    if not fresh:
        if result.candidates:
            detail = (f"every candidate repeats a design already checked (fingerprints "
                      f"{', '.join(sorted({c['fingerprint'] for c in listed}))}); not checked again")
            code = "REPEATED"
        else:
            detail, code = "; ".join(result.notes[-2:]) or "the backend produced no RTL", "NO_CODE"
        if not backend.can_repair:
            return _stop("unrecoverable", detail, **update)
        diag = Diagnostic(tool="llm", severity="error", code=code, message=detail[:500])
        write_json(it_dir / "diagnostics.json", [diag.model_dump()])
        return Command(goto="debug", update={**update, "diagnostics": [diag.model_dump()]})
    chosen = fresh[0]
    if len(fresh) > 1:  # several new designs: the best by evidence goes on
        testplan = _testplan(state)
        judged = []
        for i, c in enumerate(fresh):
            _, evidence = judge(dict(c.bundle.files), c.bundle.top, it_dir / f"cand_{i:02d}", spec, testplan, cfg,
                                fix=cfg.fixers)
            judged.append({"candidate": i, "model": c.model, "temperature": c.temperature, "seed": c.seed,
                           "fingerprint": fingerprint(c.bundle.files), **evidence})
        best = max(range(len(fresh)), key=lambda i: rank(judged[i], i))
        chosen = fresh[best]
        write_json(it_dir / "candidates.json", {"chosen": best, "candidates": judged})
        update["cost"] = {**update["cost"], "candidates_judged": len(fresh)}
    tried += [fingerprint(c.bundle.files) for c in fresh]
    rtl_dir = it_dir / "rtl"
    if rtl_dir.exists():  # a resumed draft replaces a half-written one
        shutil.rmtree(rtl_dir)
    chosen.bundle.write(rtl_dir)
    return Command(goto="check", update={**update, "rtl": dict(chosen.bundle.files), "top": chosen.bundle.top,
                                         "tried": tried})


def _shell(spec, testplan: TestPlan, top: str) -> dict:
    """What is generated around the part a model writes for a beat-function block: the streaming top (as many
    pipeline stages as the spec's first-job cycles ask for, one when it states none) around the combinational core
    ``<top>_core``; for a lane-parallel block also the core, ``<top>_lane`` once per lane, so the model writes one lane;
    for another beat function with at most ``MAX_BEAT_PORTS`` lanes also the core, which hands ``<top>_beat`` every
    lane as its own port with its signedness (no bus slicing left to the model), else the model writes the packed core.
    Returns the asked module's name and headers, the level ("core" or "lane") and the generated files."""
    core, lane, beat = f"{top}_core", f"{top}_lane", f"{top}_beat"
    rate = spec.rate
    stages = max(1, rate.first_job_cycles - 1) if rate and rate.first_job_cycles else 1
    ports = spec.ports()
    generated = {f"{top}.v": stream_shell(ports, top, core, stages)}
    if spec.lane_function:
        header, shown = lane_port_header(testplan, lane)
        generated[f"{core}.v"] = lane_core(ports, core, lane)
        asked, level = lane, "lane"
    elif beat_ports(ports) <= MAX_BEAT_PORTS:
        header, shown = beat_port_header(testplan, beat)
        generated[f"{core}.v"] = beat_core(ports, core, beat)
        asked, level = beat, "core"
    else:
        header, shown = core_port_header(testplan, core)
        asked, level = core, "core"
    return {"level": level, "asked": asked, "core": core, "stages": stages, "module_header": header, "header": shown,
            "generated": generated}


def _samples(backend) -> bool:
    """Whether the backend's ``draft`` takes ``sampling`` (a backend registered by a user may not)."""
    return "sampling" in inspect.signature(backend.draft).parameters


def _draft(backend, spec, state: DesignState, sampling: Sampling | None, feedback: bool = True):
    extra = {"sampling": sampling} if sampling is not None and _samples(backend) else {}
    return backend.draft(spec, state["plan"], state.get("feedback") if feedback else None, **extra)


def _fresh(result, tried: list[str]) -> list:
    """The draft's candidates whose design was not tried before (nor repeated within this draft)."""
    seen, out = set(tried), []
    for c in result.candidates:
        f = fingerprint(c.bundle.files)
        if f not in seen:
            seen.add(f)
            out.append(c)
    return out


@timed
def check(state: DesignState, cfg: RunConfig) -> Command[Literal["verify", "debug"]]:
    it_dir = _iter_dir(state)
    spec = spec_from_dict(state["spec"])
    fix = cfg.fixers and cfg.backend not in ("expert", "user")  # never rewrite a user's RTL
    s = screen(state["rtl"], state["top"], it_dir, spec, _testplan(state), cfg, fix=fix)
    dumped = [d.model_dump() for d in s.diagnostics]
    write_json(it_dir / "diagnostics.json", dumped)
    update: dict = {"diagnostics": dumped}
    if s.unsafe:
        return Command(goto="debug", update={**update, "stop_reason": "unsafe_rtl"})
    if s.fixes:
        write_json(it_dir / "fixes.json", s.fixes)
        kept = sum(r["kept"] for r in s.fixes)
        update["cost"] = {"fixes_applied": kept, "fixes_undone": len(s.fixes) - kept}
    if s.files != state["rtl"]:
        update["rtl"] = s.files
    return Command(goto="verify" if s.compiles else "debug", update=update)


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
    """Synthesis (yosys cells, flip-flops, depth), ECP5 place and route (LUTs, FFs, DSPs, BRAMs, fmax; ``cfg.fpga``)
    and simulated cycles of the verified design -> ppa.json."""
    bench = (state.get("bench") or {}).get(cfg.sim, {})
    lanes = None
    out_fields = _testplan(state).out.fields.values()
    if out_fields:
        lanes = sum(f.lanes for f in out_fields)
    try:
        figures = ppa(RtlBundle(files=state["rtl"], top=state["top"]), _iter_dir(state) / "ppa",
                      bench_cases=bench.get("cases"), lanes_out=lanes, timeout_s=cfg.bench_timeout_s or 600,
                      fpga=cfg.fpga)
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
