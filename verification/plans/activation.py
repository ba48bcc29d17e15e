"""Stimulus for ActivationSpec: every input code (exhaustive), random streams, back-pressure.

Expected values are the float function rounded to the nearest output code, and the bench's atol is
ceil(max_error_lsb): an RTL output passes only within the spec's stated bound of the float result.
"""

from __future__ import annotations

import math
import random

import torch

from accelsmith.kinds.activation import ActivationSpec, activation_float_codes
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import TestPlan
from accelsmith.verification.plans._common import build_plan, with_schedule, stream_case


def expected_codes(x: torch.Tensor, spec: ActivationSpec) -> torch.Tensor:
    """Float result rounded to the nearest code and clamped (the bench compares integers)."""
    y = activation_float_codes(x, spec)
    lo, hi = -(1 << (spec.out_bits - 1)), (1 << (spec.out_bits - 1)) - 1
    return (torch.sign(y) * torch.floor(y.abs() + 0.5)).clamp(lo, hi).to(torch.int64)  # ties away from zero


@register_deriver(ActivationSpec)
def derive_activation(spec: ActivationSpec) -> TestPlan:
    rng = random.Random(spec.seed)
    lo, hi = spec.in_range
    allcodes = list(range(lo, hi + 1))
    # every code in every lane: shift the sweep by one per lane so lanes see different codes per beat
    sweep = [[allcodes[(t + 7 * i) % len(allcodes)] for i in range(spec.lanes)] for t in range(len(allcodes))]
    rand = [[rng.randint(lo, hi) for _ in range(spec.lanes)] for _ in range(48)]
    # |rtl - round(f)| <= atol implies |rtl - f| <= atol + 0.5 <= max_error_lsb: the bound, soundly
    atol = math.floor(spec.max_error_lsb - 0.5 + 1e-9)

    def case(name, beats, bubbles, stalls, tags):
        y = expected_codes(torch.tensor(beats), spec)
        return stream_case(name, [{"data": b} for b in beats], [{"data": r} for r in y.tolist()],
                           jobs=len(beats), latency=spec.latency_cycles, bubbles=bubbles, stalls=stalls,
                           atol=atol, tags=tags)

    cases = [
        case("exhaustive_sweep", sweep, 0.2, 0.2, ["exhaustive"]),
        case("random_backpressure", rand, 0.1, 0.7, ["random", "backpressure"]),
        case("throughput", sweep[:64], 0.0, 0.0, ["perf"]),
    ]
    return build_plan(spec, with_schedule(cases, 1 + spec.latency_cycles), ideal_job_cycles=1 + spec.latency_cycles,
                      coverage={"every_input_code": True, "backpressure": True})
