"""Stimulus for MaxReduceSpec: the maximum in every lane position, ties, extremes, back-pressure."""

from __future__ import annotations

import random

from accelsmith.kinds.maxreduce import MaxReduceSpec, maxreduce_golden
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import TestPlan
from accelsmith.verification.plans._common import PROTOCOL_MIXES, build_plan, golden_beats, random_vectors, value_range


@register_deriver(MaxReduceSpec)
def derive_maxreduce(spec: MaxReduceSpec) -> TestPlan:
    rng = random.Random(spec.seed)
    lo, hi = value_range(spec.bits, spec.signed)
    n = spec.lanes
    case = golden_beats(maxreduce_golden, spec, ("x",), "max", scalar=True)

    # the winner sits in each lane in turn, so a tree that drops a lane is caught
    winner_each_lane = [[(hi if j == i else rng.randint(lo, hi - 1)) for j in range(n)] for i in range(n)]
    cases = [case("winner_in_each_lane", winner_each_lane, tags=["corner"]),
             case("all_min", [[lo] * n] * 2, tags=["corner"]),
             case("all_equal_ties", [[rng.randint(lo, hi)] * n for _ in range(3)], tags=["corner"]),
             case("min_and_max", [[lo if j % 2 else hi for j in range(n)], [hi if j % 2 else lo for j in range(n)]],
                  tags=["corner", "sign"])]
    cases += [case(name, random_vectors(rng, 24, n, lo, hi), bubbles=b, stalls=s, tags=t)
              for name, b, s, t in PROTOCOL_MIXES]
    cases.append(case("throughput", random_vectors(rng, 32, n, lo, hi), tags=["perf"]))
    return build_plan(spec, cases, {"winner_in_every_lane": True, "signed_compare": spec.signed,
                                         "backpressure": True})
