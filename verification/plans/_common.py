"""Helpers shared by the per-kind derivers: port maps -> StreamPorts, and stream cases with sane timeouts."""

from __future__ import annotations

from collections.abc import Callable

import torch

from accelsmith.spec import BlockSpec, VectorSpec, value_range  # noqa: F401 - re-exported for the plans
from accelsmith.verification._testplan import LaneField, StreamPort, TestCase, TestPlan


# (name, input bubble chance, output stall chance, tags)
PROTOCOL_MIXES = [("random", 0.3, 0.3, ["random"]), ("random_heavy_backpressure", 0.1, 0.8, ["random", "backpressure"])]


ALL_POSITIONS_UP_TO = 384  # vectors this long or shorter get a corner at every element position


def covering_positions(length: int, lanes: int, all_up_to: int = ALL_POSITIONS_UP_TO) -> list[int]:
    """Element positions for per-position corner vectors: every position of a vector up to ``all_up_to``
    elements; beyond that, a set that puts the corner in every lane and in every beat at least once (plus the
    first and last element), so the stimulus grows with max(lanes, beats) rather than with the length."""
    if length <= all_up_to:
        return list(range(length))
    beats = length // lanes
    picked = {(k % beats) * lanes + (k % lanes) for k in range(max(lanes, beats))} | {0, length - 1}
    return sorted(picked)


def beat_case(name: str, inputs: list[dict], expected: list[dict], *, bubbles: float = 0.0, stalls: float = 0.0,
              tags: list[str] | None = None) -> TestCase:
    """One job per beat; the timeout allows 4x the slowest expected rate plus pipeline slack."""
    slow = 1.0 / ((1.0 - bubbles) * (1.0 - stalls))
    return TestCase(name=name, inputs=inputs, expected=expected, in_bubble_prob=bubbles, out_stall_prob=stalls,
                    jobs=len(inputs), timeout_cycles=int(len(inputs) * slow * 4) + 200, tags=tags or [])


def golden_beats(golden, spec, inputs: tuple[str, ...], output: str, *, scalar: bool = False):
    """``case(name, *operands, **kw)`` for a block that takes one job per beat: operand k's beats (lists of lane
    values) fill input field ``inputs[k]``, and ``golden(*operands, spec)``'s rows are expected on ``output`` (one
    value each when ``scalar``); ``kw`` goes to ``beat_case``."""
    def case(name: str, *operands: list[list[int]], **kw) -> TestCase:
        out = golden(*(torch.tensor(o) for o in operands), spec).tolist()
        return beat_case(name, [dict(zip(inputs, beat)) for beat in zip(*operands)],
                         [{output: [v] if scalar else v} for v in out], **kw)
    return case


def stream_port(port: dict) -> StreamPort:
    return StreamPort(valid=port["valid"], ready=port["ready"],
                      fields={k: LaneField(**v) for k, v in port["fields"].items()})


def stream_case(name: str, inputs: list[dict], expected: list[dict], *, jobs: int, latency: int,
                bubbles: float = 0.0, stalls: float = 0.0, atol: int = 0, tags: list[str] | None = None,
                cycles_per_beat: float = 1.0) -> TestCase:
    """A case whose timeout is 4x the cycles an II=1 block needs under the given bubble/stall rates."""
    slow = 1.0 / ((1.0 - bubbles) * (1.0 - stalls))
    beats = max(len(inputs), len(expected))
    timeout = int((beats * cycles_per_beat + latency * jobs) * slow * 4) + 200
    return TestCase(name=name, inputs=inputs, expected=expected, in_bubble_prob=bubbles, out_stall_prob=stalls,
                    atol=atol, jobs=jobs, timeout_cycles=timeout, tags=tags or [])


def vector_beats(spec: VectorSpec, vecs: list[list[int]]) -> list[dict]:
    """Whole vectors as ``data`` beats of ``spec.lanes`` elements."""
    P = spec.lanes
    return [{"data": v[b * P:(b + 1) * P]} for v in vecs for b in range(spec.beats)]


Golden = Callable[[torch.Tensor, VectorSpec], torch.Tensor]


def vector_cases(spec: VectorSpec, golden: Golden, rounded: Golden) -> Callable[..., TestCase | None]:
    """A case maker for a vector kind: ``case(name, vecs, bubbles, stalls, tags, bound=False)`` expects the golden
    model's vectors (``bound``: the float result rounded, within ``spec.atol``); no vectors make no case."""
    def case(name: str, vecs: list[list[int]], bubbles: float, stalls: float, tags: list[str],
             bound: bool = False) -> TestCase | None:
        if not vecs:
            return None
        x = torch.tensor(vecs, dtype=torch.int64)
        y = rounded(x, spec) if bound else golden(x, spec)
        return stream_case(name, vector_beats(spec, vecs), vector_beats(spec, y.tolist()), jobs=len(vecs),
                           latency=spec.job_cycles, bubbles=bubbles, stalls=stalls, atol=spec.atol if bound else 0,
                           tags=tags)
    return case


def bound_picks(spec: VectorSpec, sample: torch.Tensor, golden: Golden, rounded: Golden, n: int) -> list[list[int]]:
    """From the validator's dense sample: the ``n`` vectors whose golden result lies furthest from the float
    result rounded (worst first), then ``n`` spread evenly over the sample."""
    err = (golden(sample, spec) - rounded(sample, spec)).abs().max(dim=1).values
    worst = sample[err.argsort(descending=True, stable=True)[:n]].tolist()
    return worst + sample[torch.linspace(0, len(sample) - 1, n).long()].tolist()


def random_vectors(rng, count: int, length: int, lo: int, hi: int) -> list[list[int]]:
    return [[rng.randint(lo, hi) for _ in range(length)] for _ in range(count)]


def with_schedule(cases: list[TestCase], latency: int, *, single_job_only: bool = False) -> list[TestCase]:
    """``latency`` (the spec's per-job schedule) set as the exact latency of every case with no bubbles or stalls
    (``single_job_only``: of those with one job, for blocks whose back-to-back jobs may wait on each other)."""
    return [c.model_copy(update={"latency_cycles": latency})
            if c.in_bubble_prob == 0 and c.out_stall_prob == 0 and (c.jobs == 1 or not single_job_only) else c
            for c in cases]


def build_plan(spec: BlockSpec, cases: list[TestCase], coverage: dict[str, bool],
               ideal_job_cycles: int | None = None) -> TestPlan:
    ports = spec.ports()
    return TestPlan(kind=spec.kind, spec_hash=spec.spec_hash, seed=spec.seed, clock=ports["clock"],
                    reset_n=ports["reset_n"], inp=stream_port(ports["in"]), out=stream_port(ports["out"]),
                    cases=cases, ideal_job_cycles=ideal_job_cycles, coverage=coverage)
