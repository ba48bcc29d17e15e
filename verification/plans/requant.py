"""Stimulus for RequantSpec: in-range, tie, saturation-edge and extreme values per channel, plus back-pressure."""

from __future__ import annotations

import random

import torch

from accelsmith.kinds.requant import RequantSpec, requant_golden
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import TestPlan
from accelsmith.verification.plans._common import build_plan, with_schedule, stream_case


def _x_for(y: int, m: int, s: int, lo: int, hi: int) -> int:
    """An input whose scaled value is about ``y`` (clamped to the input range)."""
    if m == 0:
        return 0
    return max(lo, min(hi, (y << s) // m))


def _ties(m: int, s: int, lo: int, hi: int) -> list[int]:
    """Inputs x with x*m mod 2**s == 2**(s-1) (exact ties), nearest zero first; empty when unreachable."""
    if m == 0 or s == 0:
        return []
    t = (m & -m).bit_length() - 1
    if t >= s:
        return []
    period = 1 << (s - t)
    x0 = ((1 << (s - 1 - t)) * pow(m >> t, -1, period)) % period
    cands = [x0 + j * period for j in range(-3, 3)]
    return sorted((x for x in cands if lo <= x <= hi), key=abs)[:4]


def _beats(per_channel: list[list[int]], spec: RequantSpec, rng: random.Random, fill: tuple[int, int]) -> list[list[int]]:
    """Pack per-channel value lists into beats (channel order), padding short lists with random values."""
    n = max(len(v) for v in per_channel)
    beats = []
    for k in range(n):
        for g in range(spec.groups):
            beats.append([per_channel[g * spec.lanes + i][k] if k < len(per_channel[g * spec.lanes + i])
                          else rng.randint(*fill) for i in range(spec.lanes)])
    return beats


@register_deriver(RequantSpec)
def derive_requant(spec: RequantSpec) -> TestPlan:
    rng = random.Random(spec.seed)
    ilo, ihi = spec.in_range
    olo, ohi = spec.out_range
    params = spec.lane_params()
    zp = spec.zero_point
    G = spec.groups

    def vectors(make) -> list[list[int]]:
        return _beats([make(m, s) for m, s in params], spec, rng, (ilo, ihi))

    in_range = vectors(lambda m, s: [_x_for(rng.randint(olo - 3, ohi + 3) - zp, m, s, ilo, ihi) + rng.randint(-2, 2)
                                     for _ in range(24)])
    in_range = [[max(ilo, min(ihi, v)) for v in b] for b in in_range]
    ties = vectors(lambda m, s: [v + d for v in _ties(m, s, ilo, ihi) for d in (0, -1, 1) if ilo <= v + d <= ihi])
    edges = vectors(lambda m, s: [max(ilo, min(ihi, _x_for(y - zp, m, s, ilo, ihi) + d))
                                  for y in (ohi, ohi + 1, olo, olo - 1, 0) for d in (-1, 0, 1)])
    extremes = vectors(lambda m, s: [ilo, ihi, 0, -1, 1, ilo + 1, ihi - 1])
    full = [[rng.randint(ilo, ihi) for _ in range(spec.lanes)] for _ in range(12 * G)]
    through = [[rng.randint(ilo, ihi) if k % 2 else b[i] for i in range(spec.lanes)]
               for k, b in enumerate((in_range * 8)[:64 * G])]

    def case(name: str, beats: list[list[int]], bubbles: float, stalls: float, tags: list[str]):
        y = requant_golden(torch.tensor(beats, dtype=torch.int64), spec)
        return stream_case(name, [{"data": b} for b in beats], [{"data": r} for r in y.tolist()],
                           jobs=len(beats) // G, latency=spec.latency_cycles + G, bubbles=bubbles, stalls=stalls,
                           tags=tags)

    cases = [
        case("in_range_random", in_range, 0.3, 0.3, ["random"]),
        case("full_range_random", full, 0.2, 0.2, ["random"]),
        case("saturation_edges", edges, 0.0, 0.5, ["corner", "saturation"]),
        case("input_extremes", extremes, 0.4, 0.0, ["corner"]),
        case("heavy_backpressure", in_range[: 8 * G], 0.1, 0.8, ["backpressure"]),
        case("throughput", through, 0.0, 0.0, ["perf"]),
    ]
    has_ties = any(ties)
    tie_signs = {x > 0 for m, s in params for x in _ties(m, s, ilo, ihi) if x}
    if has_ties:
        cases.insert(1, case("rounding_ties", ties, 0.2, 0.2, ["corner", "rounding"]))
    return build_plan(spec, with_schedule(cases, G + spec.latency_cycles), ideal_job_cycles=G + spec.latency_cycles, coverage={
        "random_with_bubbles_and_backpressure": True,
        "rounding_ties": has_ties,
        "rounding_ties_both_signs": tie_signs == {True, False},
        "saturation_edges": spec.saturation,
        "per_channel_parameters": spec.channels > 1,
    })
