"""Stimulus for ClampSpec: values at, just inside and just outside both bounds, and the extremes."""

from __future__ import annotations

import random

from accelsmith.kinds.clamp import ClampSpec, clamp_golden
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import TestPlan
from accelsmith.verification.plans._common import PROTOCOL_MIXES, build_plan, golden_beats, random_vectors, value_range


@register_deriver(ClampSpec)
def derive_clamp(spec: ClampSpec) -> TestPlan:
    rng = random.Random(spec.seed)
    vmin, vmax = value_range(spec.bits, spec.signed)
    n = spec.lanes
    case = golden_beats(clamp_golden, spec, ("x",), "y")

    edges = sorted({v for b in (spec.lo, spec.upper) for v in (b - 1, b, b + 1) if vmin <= v <= vmax}
                   | {vmin, vmax, 0 if vmin <= 0 <= vmax else vmin})
    # every edge value in every lane position
    edge_beats = [[edges[(i + j) % len(edges)] for j in range(n)] for i in range(len(edges))]
    cases = [case("bounds_and_extremes", edge_beats, tags=["corner"]),
             case("all_max", [[vmax] * n] * 2, tags=["corner"]),
             case("all_min", [[vmin] * n] * 2, tags=["corner"])]
    cases += [case(name, random_vectors(rng, 24, n, vmin, vmax), bubbles=b, stalls=s, tags=t)
              for name, b, s, t in PROTOCOL_MIXES]
    cases.append(case("throughput", random_vectors(rng, 32, n, vmin, vmax), tags=["perf"]))
    return build_plan(spec, cases, {"both_bounds": True, "extremes": True, "backpressure": True})
