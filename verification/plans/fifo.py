"""Stimulus for FifoSpec: order preserved under bursts, long stalls that fill it, and draining."""

from __future__ import annotations

import random

from accelsmith.kinds.fifo import FifoSpec, fifo_golden
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import TestPlan
from accelsmith.verification.plans._common import beat_case, build_plan


@register_deriver(FifoSpec)
def derive_fifo(spec: FifoSpec) -> TestPlan:
    rng = random.Random(spec.seed)
    top = (1 << spec.width) - 1

    def case(name: str, beats: list[int], **kw):
        out = fifo_golden(beats, spec)
        return beat_case(name, [{"data": [b]} for b in beats], [{"data": [b]} for b in out], **kw)

    def rand(k: int) -> list[int]:
        return [rng.randint(0, top) for _ in range(k)]

    n = 4 * spec.depth + 8
    cases = [case("counting", [i & top for i in range(n)], tags=["corner", "order"]),
             case("extremes", [top, 0, top, 0, 1, top - 1 if top > 1 else 0], tags=["corner"]),
             case("fill_while_stalled", rand(n), bubbles=0.0, stalls=0.9, tags=["full"]),
             case("drain_while_starved", rand(n), bubbles=0.8, stalls=0.0, tags=["empty"]),
             case("random", rand(n), bubbles=0.3, stalls=0.3, tags=["random"]),
             case("throughput", rand(n), tags=["perf"])]
    return build_plan(spec, cases, {"fills_to_depth": True, "runs_empty": True, "order": True})
