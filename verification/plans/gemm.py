"""Stimulus for GemmSpec: random jobs plus corner cases, golden outputs from the bit-accurate model."""

from __future__ import annotations

from functools import partial

import torch

from accelsmith.kinds.gemm import GemmSpec, gemm_golden
from accelsmith.kinds.gemm.model import overflows
from accelsmith.verification._derive import register_deriver
from accelsmith.verification.plans._common import value_range
from accelsmith.verification._testplan import LaneField, StreamPort, TestCase, TestPlan


def _operand_range(spec: GemmSpec) -> tuple[int, int]:
    return value_range(spec.in_bits, spec.signed)


def _beats(spec: GemmSpec, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor,
           g: torch.Generator) -> tuple[list[dict], list[dict]]:
    """a: (J, M, K), b: (J, K, C), c: (J, M, C) -> input beats and output beats (per row), in the spec's layout.

    Output-stationary: one beat per k (column k of A, row k of B). Weight-stationary: ``folds`` x ``fold_beats``
    beats (row j of A's fold slice, row j of the fold's weights); lanes and beats the spec says are ignored
    carry random values, so a design that reads them fails."""
    inputs, expected = [], []
    R, K = spec.rows, spec.k
    lo, hi = _operand_range(spec)
    for j in range(a.shape[0]):
        if spec.dataflow == "weight_stationary":
            M, L, F, C = a.shape[1], spec.fold_beats, spec.folds, b.shape[2]
            junk = torch.randint(lo, hi + 1, (F, L, R + C), generator=g)
            ka, kb = junk[..., :R].clone(), junk[..., R:].clone()
            # A's row t of fold f is A[t][f*R : f*R + R]; B's row t of fold f is B[f*R + t]; past K: junk
            a_pad = torch.zeros(M, F * R, dtype=torch.int64)
            a_pad[:, :K] = a[j]
            a_in = torch.zeros(M, F * R, dtype=torch.bool)
            a_in[:, :K] = True
            ka[:, :M, :] = torch.where(a_in.view(M, F, R).transpose(0, 1), a_pad.view(M, F, R).transpose(0, 1),
                                       ka[:, :M, :])
            b_pad = torch.zeros(F * R, C, dtype=torch.int64)
            b_pad[:K] = b[j]
            b_in = (torch.arange(F * R) < K).view(F, R, 1)
            kb[:, :R, :] = torch.where(b_in, b_pad.view(F, R, C), kb[:, :R, :])
            inputs.extend({"a": x, "b": y} for fa, fb in zip(ka.tolist(), kb.tolist()) for x, y in zip(fa, fb))
        else:
            for t in range(a.shape[2]):
                inputs.append({"a": a[j, :, t].tolist(), "b": b[j, t, :].tolist()})
        for r in range(c.shape[1]):
            expected.append({"data": c[j, r, :].tolist()})
    return inputs, expected


def _case(spec: GemmSpec, name: str, a: torch.Tensor, b: torch.Tensor, *, bubbles: float, stalls: float,
          tags: list[str], g: torch.Generator) -> TestCase:
    c = gemm_golden(a, b, spec)
    inputs, expected = _beats(spec, a, b, c, g)
    jobs = a.shape[0]
    per_job = spec.job_latency_cycles + spec.beats_per_job
    slow = 1.0 / ((1.0 - bubbles) * (1.0 - stalls))
    # the schedule, to the cycle; where back-to-back jobs may wait for an accumulator bank or the result port
    # (output-stationary with K < R), only a lone job is held to it
    lone = jobs == 1 or spec.jobs_on_schedule
    exact = job_latency_cycles(spec) if bubbles == 0 and stalls == 0 and lone else None
    return TestCase(name=name, inputs=inputs, expected=expected, in_bubble_prob=bubbles, out_stall_prob=stalls,
                    jobs=jobs, timeout_cycles=int(jobs * per_job * slow * 4) + 200, latency_cycles=exact, tags=tags)


TRAILING_CYCLES = 16  # the bench watches this many cycles after the last expected beat


def job_latency_cycles(spec: GemmSpec) -> int:
    """One job alone, no bubbles or stalls: first operand beat -> last result beat (``GemmSpec.job_latency_cycles``)."""
    return spec.job_latency_cycles


def _latency_budget_case(spec: GemmSpec, g: torch.Generator, a: torch.Tensor, b: torch.Tensor) -> TestCase:
    case = _case(spec, "latency_budget", a, b, bubbles=0.0, stalls=0.0, tags=["perf", "schedule"], g=g)
    # The first beat is accepted in cycle 1, so the last result beat of an on-schedule job comes in cycle L =
    # job_latency_cycles; the bench then watches TRAILING_CYCLES more cycles and stops in cycle L + TRAILING_CYCLES,
    # before its timeout check, so this limit passes the exact schedule and fails a job one cycle late.
    return case.model_copy(update={"timeout_cycles": job_latency_cycles(spec) + TRAILING_CYCLES})


@register_deriver(GemmSpec)
def derive_gemm(spec: GemmSpec) -> TestPlan:
    g = torch.Generator().manual_seed(spec.seed)
    lo, hi = _operand_range(spec)
    R, C, K = spec.rows, spec.cols, spec.k
    M = spec.job_rows
    case = partial(_case, spec, g=g)

    def rand(jobs: int, shape: tuple[int, int]) -> torch.Tensor:
        return torch.randint(lo, hi + 1, (jobs, *shape), generator=g, dtype=torch.int64)

    def full(value: int, shape: tuple[int, int]) -> torch.Tensor:
        return torch.full((1, *shape), value, dtype=torch.int64)

    alt_a = torch.tensor([[hi if (i + t) % 2 == 0 else lo for t in range(K)] for i in range(M)]).unsqueeze(0)
    alt_b = torch.tensor([[hi if (t + j) % 2 else lo for j in range(C)] for t in range(K)]).unsqueeze(0)
    # Distinct per-lane values make swapped lanes or operands visible.
    ramp_a = torch.tensor([[(i * 3 + t * 5 + 1) % (hi - lo + 1) + lo for t in range(K)] for i in range(M)]).unsqueeze(0)
    ramp_b = torch.tensor([[(t * 7 + j * 2 + 3) % (hi - lo + 1) + lo for j in range(C)] for t in range(K)]).unsqueeze(0)

    cases = [
        case("random", rand(4, (M, K)), rand(4, (K, C)), bubbles=0.3, stalls=0.3, tags=["random"]),
        case("random_heavy_backpressure", rand(3, (M, K)), rand(3, (K, C)), bubbles=0.1, stalls=0.8,
              tags=["random", "backpressure"]),
        case("all_max", full(hi, (M, K)), full(hi, (K, C)), bubbles=0.0, stalls=0.0, tags=["corner"]),
        case("all_min", full(lo, (M, K)), full(lo, (K, C)), bubbles=0.2, stalls=0.2, tags=["corner"]),
        case("max_times_min", full(hi, (M, K)), full(lo, (K, C)), bubbles=0.0, stalls=0.5, tags=["corner"]),
        case("zeros", full(0, (M, K)), full(0, (K, C)), bubbles=0.5, stalls=0.0, tags=["corner"]),
        case("alternating_signs", alt_a, alt_b, bubbles=0.0, stalls=0.0, tags=["corner"]),
        case("distinct_lanes", ramp_a, ramp_b, bubbles=0.0, stalls=0.0, tags=["corner"]),
        case("throughput", rand(6, (M, K)), rand(6, (K, C)), bubbles=0.0, stalls=0.0, tags=["perf"]),
    ]
    # A long stream of large products drives the accumulator past its range when K allows it. Odd
    # products (hi*hi) first: sums of 2^k-multiples (lo*lo) can wrap identically at two widths.
    big_a, big_b = full(hi, (M, K)), full(hi, (K, C))
    if not overflows(big_a, big_b, spec):
        big_a, big_b = full(lo, (M, K)), full(lo, (K, C))
    overflow_reachable = overflows(big_a, big_b, spec)
    if overflow_reachable:
        # plus two jobs of large same-sign random operands: their wrapped results spread over the whole
        # accumulator range, so a narrower accumulator shows up in some lane
        edge = int(big_a.flatten()[0])
        span = max(1, (hi - lo) // 8)

        def near_edge(shape: tuple[int, ...]) -> torch.Tensor:
            offset = torch.randint(0, span + 1, shape, generator=g)
            return edge - offset if edge == hi else edge + offset

        near_a, near_b = near_edge((2, M, K)), near_edge((2, K, C))
        cases.append(case("accumulator_overflow", torch.cat([big_a, near_a]), torch.cat([big_b, near_b]),
                           bubbles=0.1, stalls=0.1, tags=["corner", "overflow"]))
        if spec.signed:
            cases.append(case("accumulator_underflow", full(lo, (M, K)), full(hi, (K, C)), bubbles=0.0,
                               stalls=0.0, tags=["corner", "overflow"]))

    # Every case with no bubbles or stalls holds each job to the documented schedule exactly (first operand
    # beat -> last result beat; faster or slower fails). This one also has a timeout of exactly that schedule
    # (+ the bench's trailing watch), so a design that hangs or runs late fails without waiting out a long limit.
    cases.append(_latency_budget_case(spec, g, rand(1, (M, K)), rand(1, (K, C))))

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
