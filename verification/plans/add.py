"""Stimulus for AddSpec: sums at and just past both ends of the output range in every lane, the operand
extremes in every pairing, and random beats under bubbles and stalls."""

from __future__ import annotations

import random

import torch

from accelsmith.kinds.add import AddSpec, add_golden
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import TestCase, TestPlan
from accelsmith.verification.plans._common import PROTOCOL_MIXES, beat_case, build_plan, value_range, with_schedule


@register_deriver(AddSpec)
def derive_add(spec: AddSpec) -> TestPlan:
    rng = random.Random(spec.seed)
    lo, hi = value_range(spec.in_bits, spec.signed)
    olo, ohi = value_range(spec.out_bits, spec.signed)
    n = spec.lanes

    def case(name: str, pairs: list[tuple[list[int], list[int]]], **kw) -> TestCase:
        y = add_golden(torch.tensor([a for a, _ in pairs]), torch.tensor([b for _, b in pairs]), spec).tolist()
        return beat_case(name, [{"a": a, "b": b} for a, b in pairs], [{"y": v} for v in y], **kw)

    def rand(k: int) -> list[tuple[list[int], list[int]]]:
        return [([rng.randint(lo, hi) for _ in range(n)], [rng.randint(lo, hi) for _ in range(n)]) for _ in range(k)]

    # (a, b) whose sums sit at, one inside and one past each end of the output range, where operands reach them
    targets = [t + d for t in (olo, ohi) for d in (-1, 0, 1)] + [0, -1 if spec.signed else 1]
    edge_pairs = []
    for t in targets:
        a = max(lo, min(hi, t - hi))
        if lo <= t - a <= hi:
            edge_pairs.append((a, t - a))
    extremes = [(a, b) for a in (lo, hi, 0) for b in (lo, hi, 0)]
    pairs = edge_pairs + extremes
    # every pair in every lane position
    beats = [([pairs[(i + j) % len(pairs)][0] for j in range(n)], [pairs[(i + j) % len(pairs)][1] for j in range(n)])
             for i in range(len(pairs))]
    cases = [case("range_ends_and_extremes", beats, tags=["corner", "saturation"]),
             case("all_max", [([hi] * n, [hi] * n)] * 2, tags=["corner"]),
             case("all_min", [([lo] * n, [lo] * n)] * 2, tags=["corner"])]
    cases += [case(name, rand(24), bubbles=b, stalls=s, tags=t) for name, b, s, t in PROTOCOL_MIXES]
    cases.append(case("throughput", rand(32), tags=["perf"]))
    reach = {s for a, b in pairs for s in [a + b]}
    return build_plan(spec, with_schedule(cases, spec.rate.first_job_cycles), ideal_job_cycles=1, coverage={
        "sum_past_top": any(s > ohi for s in reach), "sum_past_bottom": any(s < olo for s in reach),
        "operand_extremes": True, "backpressure": True})
