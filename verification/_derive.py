"""``derive(spec) -> TestPlan``: one stimulus generator per block kind, registered by decorator."""

from __future__ import annotations

from collections.abc import Callable

from accelsmith.registry import Registry
from accelsmith.spec import BlockSpec
from accelsmith.verification._testplan import TestCase, TestPlan


def _load_plans() -> None:
    from accelsmith.verification.plans import load_all

    load_all()


DERIVERS: Registry[Callable[[BlockSpec], TestPlan]] = Registry("test-plan deriver (block kind)", load=_load_plans)


def register_deriver(spec_class: type[BlockSpec]):
    """``@register_deriver(SpecClass)``: the decorated ``fn(spec) -> TestPlan`` derives that kind's plans."""
    return DERIVERS.decorator(spec_class)


def derive(spec: BlockSpec) -> TestPlan:
    """Derive the test plan for a spec; seeded from the spec hash, so the same spec gives the same plan."""
    return with_protocol_cases(DERIVERS.get(spec)(spec), spec)


PROTOCOL_JOBS = 8     # jobs per sink case
TRAIN_JOBS = 24       # jobs in the long train under stalls
RESET_JOBS = 3        # jobs after a mid-case reset
LONG_STALL_JOBS = 4   # jobs under long stalls (each short ready window is followed by 20-60 stalled cycles)


def _reset_cases(base: TestCase, plan: TestPlan, spec: BlockSpec) -> list[TestCase]:
    """Resets that arrive part-way through the work: mid-job (mid channel group, for grouped kinds), after a
    whole job plus part of the next (while it computes or drains), one job then a reset 0, 1, 2, 3, 5, 8, ...
    cycles after its last beat (``reset_after_job_<cycles>``, up to the stated first-job latency: its beats at
    every depth of the input skew and the pipeline; two jobs checked after each), and just after part of a result
    was taken (mid-result when a job gives several output beats). The inputs fed before the reset come from the
    base case's last jobs, so leftover state differs from what the first jobs after it need."""
    per_in = len(base.inputs) // base.jobs
    tail = base.inputs[-2 * per_in:] if base.jobs >= 2 else base.inputs * 2
    rate = spec.rate
    drain_delay = max(2, (rate.first_job_cycles or 4) // 2) if rate else 2
    per_out = len(base.expected) // base.jobs
    drained = max(1, per_out // 2)  # mid-result when a job gives several beats, else between two results
    # the cycle after a job's last beat, then 1, 2, 3, 5, 8, ... cycles later: its beats at every depth of the
    # input skew and the pipeline when the reset comes
    depths, a, b = [], 1, 2
    while a < (rate.first_job_cycles if rate and rate.first_job_cycles else 8):
        depths.append(a)
        a, b = b, a + b
    rounds = [("reset_mid_job", tail[:max(1, per_in // 2)], 0, 0, RESET_JOBS),
              ("reset_mid_drain", tail[:per_in + max(1, per_in // 2)], drain_delay, 0, RESET_JOBS),
              ("reset_mid_output", tail[:2 * per_in], 0, drained, RESET_JOBS)]
    rounds += [(f"reset_after_job_{d}", tail[:per_in], d, 0, 2) for d in [0, *depths]]
    out = []
    for name, pre, delay, after_beats, jobs in rounds:
        after = base.first_jobs(jobs)
        out.append(after.model_copy(update={
            "name": name, "pre_reset_inputs": pre, "reset_delay_cycles": delay, "reset_after_output_beats": after_beats,
            "sink": "random", "in_bubble_prob": 0.2, "out_stall_prob": 0.3, "latency_cycles": None, "idle_bus": "x",
            "tags": ["protocol", "reset", *(["cross_check"] if name == "reset_mid_drain" else [])],
            "timeout_cycles": 3 * after.timeout_cycles + 4 * drain_delay + 2 * delay + 200}))
    return out


def with_protocol_cases(plan: TestPlan, spec: BlockSpec | None = None) -> TestPlan:
    """Cases every kind gets, built from its own random cases: sinks of several behaviours (ready only after valid,
    bursts, long stalls, always ready), a source that idles as long as a job's latency before each job's last beat, a long train of jobs under both bubbles and stalls, resets mid-job and
    mid-drain; with the spec's ``rate`` stated, every case of several jobs is held to it."""
    base = next((c for c in plan.cases if "random" in c.tags), None) or next(
        (c for c in plan.cases if "perf" not in c.tags), None)
    if base is None:
        return plan
    per_job = (len(base.inputs) // base.jobs, len(base.expected) // base.jobs)
    extra = []
    for sink, bubbles, idle in (("after_valid", 0.2, "random"), ("bursts", 0.2, "x"), ("ready", 0.5, "x")):
        c = base.first_jobs(PROTOCOL_JOBS)
        extra.append(c.model_copy(update={
            "name": f"sink_{sink}", "sink": sink, "in_bubble_prob": bubbles, "out_stall_prob": 0.0,
            "latency_cycles": None, "idle_bus": idle,
            "tags": ["protocol", f"sink_{sink}", *(["cross_check"] if sink == "bursts" else [])],
            "timeout_cycles": 3 * c.timeout_cycles + 200}))
    c = base.first_jobs(PROTOCOL_JOBS)  # idle runs as long as a job's latency, just before each job's last beat
    gap = max(2, spec.rate.first_job_cycles or 8) if spec is not None and spec.rate else 8
    extra.append(c.model_copy(update={
        "name": "source_gaps", "sink": "random", "in_bubble_prob": 0.1, "out_stall_prob": 0.2,
        "source_gap_cycles": gap, "latency_cycles": None, "idle_bus": "x", "tags": ["protocol", "source_gaps"],
        "timeout_cycles": 3 * c.timeout_cycles + c.jobs * gap + 200}))
    c = base.first_jobs(LONG_STALL_JOBS)
    extra.append(c.model_copy(update={
        "name": "sink_long_stalls", "sink": "long_stalls", "in_bubble_prob": 0.1, "out_stall_prob": 0.0,
        "latency_cycles": None, "tags": ["protocol", "sink_long_stalls"],
        "timeout_cycles": 30 * (c.timeout_cycles + len(c.expected)) + 200}))
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
    if spec is not None:
        extra += _reset_cases(base, plan, spec)
    names = {c.name for c in plan.cases}
    extra = [c for c in extra if c.name not in names]
    cases = [*plan.cases, *extra]
    rate = spec.rate if spec is not None else None
    if rate is not None:  # the stated rate, on every case of several jobs (bubbles and stalls are allowed for)
        cases = [c.model_copy(update={"rate_ii_cycles": rate.ii_cycles, "rate_first_job_cycles": rate.first_job_cycles})
                 if c.jobs > 1 else c for c in cases]
    coverage = {**plan.coverage, **{f"protocol_{c.name}": True for c in extra}, "stated_rate_checked": rate is not None}
    return plan.model_copy(update={"cases": cases, "coverage": coverage})
