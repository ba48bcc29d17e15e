"""Stimulus for GemmSpec: random jobs plus corner cases, golden outputs from the bit-accurate model."""

from __future__ import annotations

import torch

from accelsmith.kinds.gemm import GemmSpec, gemm_golden
from accelsmith.kinds.gemm.model import overflows
from accelsmith.verification._derive import register_deriver
from accelsmith.verification.plans._common import value_range
from accelsmith.verification._testplan import LaneField, StreamPort, TestCase, TestPlan


def _operand_range(spec: GemmSpec) -> tuple[int, int]:
    return value_range(spec.in_bits, spec.signed)


def _beats(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> tuple[list[dict], list[dict]]:
    """a: (J, R, K), b: (J, K, C), c: (J, R, C) -> input beats (per k) and output beats (per row)."""
    inputs, expected = [], []
    for j in range(a.shape[0]):
        for t in range(a.shape[2]):
            inputs.append({"a": a[j, :, t].tolist(), "b": b[j, t, :].tolist()})
        for r in range(c.shape[1]):
            expected.append({"data": c[j, r, :].tolist()})
    return inputs, expected


def _case(spec: GemmSpec, name: str, a: torch.Tensor, b: torch.Tensor, *, bubbles: float, stalls: float,
          tags: list[str]) -> TestCase:
    c = gemm_golden(a, b, spec)
    inputs, expected = _beats(a, b, c)
    jobs = a.shape[0]
    folds = -(-spec.k // spec.rows)  # weight-stationary: K in folds of ROWS, each loaded then streamed
    per_job = max(spec.k + spec.rows + spec.cols + spec.rows, spec.k + folds * (2 * spec.rows + spec.cols) + spec.rows)
    slow = 1.0 / ((1.0 - bubbles) * (1.0 - stalls))
    # the schedule, to the cycle; output-stationary jobs back to back may wait for an accumulator bank
    # (K < 2R + C - 1), so there only a lone job is held to it
    lone = jobs == 1 or spec.dataflow == "weight_stationary"
    exact = job_latency_cycles(spec) if bubbles == 0 and stalls == 0 and lone else None
    return TestCase(name=name, inputs=inputs, expected=expected, in_bubble_prob=bubbles, out_stall_prob=stalls,
                    jobs=jobs, timeout_cycles=int(jobs * per_job * slow * 4) + 200, latency_cycles=exact, tags=tags)


TRAILING_CYCLES = 16  # the bench watches this many cycles after the last expected beat


def job_latency_cycles(spec: GemmSpec) -> int:
    """One job alone, no bubbles or stalls: first operand beat -> last result beat (``GemmSpec.job_latency_cycles``)."""
    return spec.job_latency_cycles


def _latency_budget_case(spec: GemmSpec, a: torch.Tensor, b: torch.Tensor) -> TestCase:
    case = _case(spec, "latency_budget", a, b, bubbles=0.0, stalls=0.0, tags=["perf", "schedule"])
    # The first beat is accepted in cycle 1, so the last result beat of an on-schedule job comes in cycle L =
    # job_latency_cycles; the bench then watches TRAILING_CYCLES more cycles and stops in cycle L + TRAILING_CYCLES,
    # before its timeout check, so this limit passes the exact schedule and fails a job one cycle late.
    return case.model_copy(update={"timeout_cycles": job_latency_cycles(spec) + TRAILING_CYCLES})


@register_deriver(GemmSpec)
def derive_gemm(spec: GemmSpec) -> TestPlan:
    g = torch.Generator().manual_seed(spec.seed)
    lo, hi = _operand_range(spec)
    R, C, K = spec.rows, spec.cols, spec.k

    def rand(jobs: int, shape: tuple[int, int]) -> torch.Tensor:
        return torch.randint(lo, hi + 1, (jobs, *shape), generator=g, dtype=torch.int64)

    def full(value: int, shape: tuple[int, int]) -> torch.Tensor:
        return torch.full((1, *shape), value, dtype=torch.int64)

    alt_a = torch.tensor([[hi if (i + t) % 2 == 0 else lo for t in range(K)] for i in range(R)]).unsqueeze(0)
    alt_b = torch.tensor([[hi if (t + j) % 2 else lo for j in range(C)] for t in range(K)]).unsqueeze(0)
    # Distinct per-lane values make swapped lanes or operands visible.
    ramp_a = torch.tensor([[(i * 3 + t * 5 + 1) % (hi - lo + 1) + lo for t in range(K)] for i in range(R)]).unsqueeze(0)
    ramp_b = torch.tensor([[(t * 7 + j * 2 + 3) % (hi - lo + 1) + lo for j in range(C)] for t in range(K)]).unsqueeze(0)

    cases = [
        _case(spec, "random", rand(4, (R, K)), rand(4, (K, C)), bubbles=0.3, stalls=0.3, tags=["random"]),
        _case(spec, "random_heavy_backpressure", rand(3, (R, K)), rand(3, (K, C)), bubbles=0.1, stalls=0.8,
              tags=["random", "backpressure"]),
        _case(spec, "all_max", full(hi, (R, K)), full(hi, (K, C)), bubbles=0.0, stalls=0.0, tags=["corner"]),
        _case(spec, "all_min", full(lo, (R, K)), full(lo, (K, C)), bubbles=0.2, stalls=0.2, tags=["corner"]),
        _case(spec, "max_times_min", full(hi, (R, K)), full(lo, (K, C)), bubbles=0.0, stalls=0.5, tags=["corner"]),
        _case(spec, "zeros", full(0, (R, K)), full(0, (K, C)), bubbles=0.5, stalls=0.0, tags=["corner"]),
        _case(spec, "alternating_signs", alt_a, alt_b, bubbles=0.0, stalls=0.0, tags=["corner"]),
        _case(spec, "distinct_lanes", ramp_a, ramp_b, bubbles=0.0, stalls=0.0, tags=["corner"]),
        _case(spec, "throughput", rand(6, (R, K)), rand(6, (K, C)), bubbles=0.0, stalls=0.0, tags=["perf"]),
    ]
    # A long stream of large products drives the accumulator past its range when K allows it. Odd
    # products (hi*hi) first: sums of 2^k-multiples (lo*lo) can wrap identically at two widths.
    big_a, big_b = full(hi, (R, K)), full(hi, (K, C))
    if not overflows(big_a, big_b, spec):
        big_a, big_b = full(lo, (R, K)), full(lo, (K, C))
    overflow_reachable = overflows(big_a, big_b, spec)
    if overflow_reachable:
        # plus two jobs of large same-sign random operands: their wrapped results spread over the whole
        # accumulator range, so a narrower accumulator shows up in some lane
        edge = int(big_a.flatten()[0])
        span = max(1, (hi - lo) // 8)

        def near_edge(shape: tuple[int, ...]) -> torch.Tensor:
            offset = torch.randint(0, span + 1, shape, generator=g)
            return edge - offset if edge == hi else edge + offset

        near_a, near_b = near_edge((2, R, K)), near_edge((2, K, C))
        cases.append(_case(spec, "accumulator_overflow", torch.cat([big_a, near_a]), torch.cat([big_b, near_b]),
                           bubbles=0.1, stalls=0.1, tags=["corner", "overflow"]))
        if spec.signed:
            cases.append(_case(spec, "accumulator_underflow", full(lo, (R, K)), full(hi, (K, C)), bubbles=0.0,
                               stalls=0.0, tags=["corner", "overflow"]))

    # Every case with no bubbles or stalls holds each job to the documented schedule exactly (first operand
    # beat -> last result beat; faster or slower fails). This one also has a timeout of exactly that schedule
    # (+ the bench's trailing watch), so a design that hangs or runs late fails without waiting out a long limit.
    cases.append(_latency_budget_case(spec, rand(1, (R, K)), rand(1, (K, C))))

    ports = spec.ports()
    return TestPlan(
        kind=spec.kind, spec_hash=spec.spec_hash, seed=spec.seed,
        clock=ports["clock"], reset_n=ports["reset_n"],
        inp=StreamPort(valid=ports["in"]["valid"], ready=ports["in"]["ready"],
                       fields={k: LaneField(**v) for k, v in ports["in"]["fields"].items()}),
        out=StreamPort(valid=ports["out"]["valid"], ready=ports["out"]["ready"],
                       fields={k: LaneField(**v) for k, v in ports["out"]["fields"].items()}),
        cases=cases,
        ideal_job_cycles=spec.ideal_job_cycles,
        coverage={
            "random_with_bubbles_and_backpressure": True,
            "operand_extremes": True,
            "k_equals_1": K == 1,
            "accumulator_overflow": overflow_reachable,
        },
    )
