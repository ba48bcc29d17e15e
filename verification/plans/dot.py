"""Stimulus for DotSpec: one dot product per beat, extremes, lane order and protocol stress."""

from __future__ import annotations

import random

from accelsmith.kinds.dot import DotSpec, dot_golden
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import TestPlan
from accelsmith.verification.plans._common import PROTOCOL_MIXES, build_plan, golden_beats, value_range


@register_deriver(DotSpec)
def derive_dot(spec: DotSpec) -> TestPlan:
    rng = random.Random(spec.seed)
    lo, hi = value_range(spec.in_bits, spec.signed)
    L = spec.length
    case = golden_beats(dot_golden, spec, ("a", "b"), "dot", scalar=True)

    def rand(n: int) -> list[list[int]]:
        return [[rng.randint(lo, hi) for _ in range(L)] for _ in range(n)]

    cases = [case("all_max", [[hi] * L] * 2, [[hi] * L] * 2, tags=["corner"]),
             case("max_times_min", [[hi] * L] * 2, [[lo] * L] * 2, tags=["corner"]),
             case("one_hot_lanes", [[(i == j) * hi for j in range(L)] for i in range(L)],
                  [[(j + 1) % (hi + 1) for j in range(L)] for _ in range(L)], tags=["corner"]),
             case("zeros", [[0] * L] * 2, [[lo] * L] * 2, tags=["corner"])]
    cases += [case(n, rand(24), rand(24), bubbles=b, stalls=s, tags=t) for n, b, s, t in PROTOCOL_MIXES]
    cases.append(case("throughput", rand(32), rand(32), tags=["perf"]))
    return build_plan(spec, cases, {"operand_extremes": True, "lane_order": True, "backpressure": True})
