"""``cascade``: ask the small model first; escalate to the next only when its draft fails a quick self-test.

The self-test is what a designer runs in seconds: the security scan, pyslang lint, and a short smoke
simulation (a few cases of the spec-derived test plan on Icarus).
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

from accelsmith.agents._backends import Draft, Sampling, get_backend, register_backend
from accelsmith.agents._chat import LLMError
from accelsmith.agents._fixers import apply_fixers
from accelsmith.diagnostics import Diagnostic
from accelsmith.hw_templates import RtlBundle
from accelsmith.spec import BlockSpec
from accelsmith.verification import TestPlan, lint_pyslang, run_bench, scan_rtl

from accelsmith.agents._env import ENV_STAGES  # noqa: E402,F401  (re-exported)
SMOKE_CASES = 3
SMOKE_TIMEOUT_S = 60.0
_counter = itertools.count()


def parse_stages(text: str) -> list[tuple[str, dict]]:
    """``"local:/m/small.gguf,local:/m/large.gguf"`` or ``"openai:small,openai:large"`` -> stages."""
    stages = []
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, _, arg = item.partition(":")
        if name == "local":
            stages.append(("local", {"model_path": arg} if arg else {}))
        elif name == "openai":
            stages.append(("openai", {"model": arg} if arg else {}))
        else:
            raise ValueError(f"unknown cascade stage {item!r}; stages look like local:PATH or openai:MODEL")
    if len(stages) < 2:
        raise ValueError(f"a cascade needs at least two stages, small to large; got {text!r}")
    return stages


def self_test(bundle: RtlBundle, plan: dict, work_dir: Path, params: dict[str, int] | None = None
              ) -> list[Diagnostic]:
    """Errors that make a draft not worth verifying in full (empty list: it passed); ``params`` (the spec's values)
    serve the fixers that need them, as in the loop."""
    findings = scan_rtl(bundle.files)
    if findings:
        return findings
    if work_dir.exists():
        shutil.rmtree(work_dir)
    sources = bundle.write(work_dir / "rtl")
    errors = [d for d in lint_pyslang(sources, bundle.top) if d.severity == "error"]
    if errors:  # what the loop's mechanical fixes would clear is no reason to escalate
        trials = iter(range(1, 100))

        def relint(files: dict[str, str]) -> list[Diagnostic]:
            folder = work_dir / f"fix_{next(trials):02d}"
            return lint_pyslang(RtlBundle(files=files, top=bundle.top).write(folder), bundle.top)

        fixed, _ = apply_fixers(bundle.files, errors, relint, params=params)
        if fixed != bundle.files and not scan_rtl(fixed):
            shutil.rmtree(work_dir / "rtl")
            sources = RtlBundle(files=fixed, top=bundle.top).write(work_dir / "rtl")
            errors = [d for d in lint_pyslang(sources, bundle.top) if d.severity == "error"]
    if errors or not plan.get("testplan_path"):
        return errors
    testplan = TestPlan.load(Path(plan["testplan_path"]))
    cases = [c.name for c in testplan.cases[:SMOKE_CASES]]
    sim = "icarus" if shutil.which("iverilog") else plan.get("sim", "verilator")
    res = run_bench(sources, bundle.top, testplan, work_dir / f"smoke_{sim}", sim=sim,
                    timeout_s=SMOKE_TIMEOUT_S, cases=cases)
    if res.passed:
        return []
    failed = [c["case"] for c in res.cases if not c["passed"]]
    return [d for d in res.diagnostics if d.severity == "error"] or [Diagnostic(
        tool="selftest", severity="error", code="SMOKE_FAIL", message=f"smoke cases failed: {failed!r}")]


class CascadeBackend:
    can_repair = True
    name = "cascade"

    def __init__(self, stages: list[tuple[str, dict]], shared: dict):
        self.stages = [get_backend(name, **{**shared, **opts}) for name, opts in stages]

    @property
    def model(self) -> str:
        return " -> ".join(s.model for s in self.stages)

    def plan(self, spec: BlockSpec, context: dict):
        return self.stages[0].plan(spec, context)  # planning is cheap: the small model does it

    def draft(self, spec: BlockSpec, plan: dict, feedback: dict | None, sampling: Sampling | None = None) -> Draft:
        total = Draft(bundle=None, model=self.stages[0].model)
        for i, stage in enumerate(self.stages):
            try:
                d = stage.draft(spec, plan, feedback, sampling)
            except LLMError as err:  # a stage that cannot answer passes the work up
                if i == len(self.stages) - 1:
                    raise
                total.notes.append(f"{stage.model}: unavailable ({err}); escalating")
                total.counters["escalations"] = total.counters.get("escalations", 0) + 1
                continue
            total.absorb(d)
            total.bundle, total.model = d.bundle, stage.model
            if i == len(self.stages) - 1:
                break
            # every candidate of this stage gets the self-test; one that passes ends the cascade here
            bundles = [c.bundle for c in d.candidates] or ([d.bundle] if d.bundle is not None else [])
            problems = [Diagnostic(tool="llm", severity="error", code="NO_CODE", message="no usable code")]
            for k, bundle in enumerate(bundles):
                work = Path(plan.get("work_dir") or ".") / "selftest" / f"{os.getpid()}_{next(_counter)}_{i}_{k}"
                problems = self_test(bundle, plan, work, spec.rtl_params())
                if not problems:
                    break
            if not problems:
                total.notes.append(f"{stage.model}: a draft passed the self-test; not escalated")
                break
            total.counters["escalations"] = total.counters.get("escalations", 0) + 1
            total.notes.append(f"{stage.model}: self-test failed ({problems[0].one_line()[:160]}); escalating")
        return total


@register_backend("cascade")
def cascade_backend(**options) -> CascadeBackend:
    shared = dict(options)
    stages = shared.pop("stages", None) or ""
    return CascadeBackend(parse_stages(stages) if isinstance(stages, str) else stages, shared)
