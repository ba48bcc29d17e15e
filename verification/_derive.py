"""``derive(spec) -> TestPlan``: one stimulus generator per block kind, registered by decorator."""

from __future__ import annotations

from collections.abc import Callable

from accelsmith.spec import BlockSpec
from accelsmith.verification._testplan import TestPlan

_DERIVERS: dict[str, Callable[[BlockSpec], TestPlan]] = {}


def register_deriver(kind: str):
    def deco(fn: Callable[[BlockSpec], TestPlan]) -> Callable[[BlockSpec], TestPlan]:
        _DERIVERS[kind] = fn
        return fn

    return deco


def derive(spec: BlockSpec) -> TestPlan:
    """Derive the test plan for a spec; seeded from the spec hash, so the same spec gives the same plan."""
    from accelsmith.verification.plans import load_all

    load_all()

    try:
        fn = _DERIVERS[spec.kind]
    except KeyError:
        raise ValueError(f"no testbench deriver for kind {spec.kind!r}; known: {', '.join(sorted(_DERIVERS))}") from None
    return with_protocol_cases(fn(spec))


PROTOCOL_JOBS = 8     # jobs per sink case
TRAIN_JOBS = 24       # jobs in the long train under stalls


def with_protocol_cases(plan: TestPlan) -> TestPlan:
    """Cases every kind gets, built from its own random cases: sinks that raise ready only after valid or in
    bursts, and a long train of jobs under both bubbles and stalls. They carry no schedule (latency) check."""
    base = next((c for c in plan.cases if "random" in c.tags), None) or next(
        (c for c in plan.cases if "perf" not in c.tags), None)
    if base is None:
        return plan
    per_job = (len(base.inputs) // base.jobs, len(base.expected) // base.jobs)
    extra = []
    for sink in ("after_valid", "bursts"):
        c = base.first_jobs(PROTOCOL_JOBS)
        extra.append(c.model_copy(update={
            "name": f"sink_{sink}", "sink": sink, "in_bubble_prob": 0.2, "out_stall_prob": 0.0, "latency_cycles": None,
            "tags": ["protocol", f"sink_{sink}"], "timeout_cycles": 3 * c.timeout_cycles + 200}))
    train_in, train_out, jobs, timeout = [], [], 0, 0
    for c in plan.cases:  # the random cases' jobs back to back (all jobs of one spec have one shape)
        if not ({"random", "backpressure"} & set(c.tags)) or (len(c.inputs) // c.jobs, len(c.expected) // c.jobs) != per_job:
            continue
        take = min(c.jobs, TRAIN_JOBS - jobs)
        cut = c.first_jobs(take)
        train_in += cut.inputs
        train_out += cut.expected
        jobs += take
        timeout += cut.timeout_cycles
        if jobs >= TRAIN_JOBS:
            break
    if jobs > 1:
        extra.append(base.model_copy(update={
            "name": "long_train_stalls", "inputs": train_in, "expected": train_out, "jobs": jobs, "sink": "random",
            "in_bubble_prob": 0.3, "out_stall_prob": 0.6, "latency_cycles": None, "tags": ["protocol", "train"],
            "timeout_cycles": 3 * timeout + 200}))
    names = {c.name for c in plan.cases}
    extra = [c for c in extra if c.name not in names]
    coverage = {**plan.coverage, **{f"protocol_{c.name}": True for c in extra}}
    return plan.model_copy(update={"cases": [*plan.cases, *extra], "coverage": coverage})
