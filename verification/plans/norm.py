"""Stimulus for NormSpec: bit-exact cases against the golden model, and bound cases against float.

Bound cases reuse the validator's checked sample (worst vectors first) at atol = floor(max_abs_error *
2**out_frac - 0.5), so passing implies the stated bound; exact cases (atol 0) pin the RTL to the golden
model: flat and near-flat vectors (tiny variance, every seed bucket), spikes, extremes, random streams.
"""

from __future__ import annotations

import random

import torch

from accelsmith.hw_templates.norm import NormSpec, norm_golden, rounded_float_codes
from accelsmith.hw_templates.norm.model import bound_vectors
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import TestPlan
from accelsmith.verification.plans._common import build_plan, with_schedule, stream_case


def _corners(spec: NormSpec, rng: random.Random) -> list[list[int]]:
    lo, hi = -(1 << (spec.in_bits - 1)), (1 << (spec.in_bits - 1)) - 1
    H = spec.hidden
    vecs = [[0] * H, [lo] * H, [hi] * H, [lo, hi] * (H // 2) + [0] * (H % 2), [hi - 1, hi] * (H // 2) + [hi] * (H % 2)]
    for pos in range(H):  # a spike in every lane of every beat
        vecs.append([(hi if pos % 2 else lo) if i == pos else rng.randint(-1, 1) for i in range(H)])
    for spread in range(1, spec.in_bits + 1):  # variances across many octaves: every normalise shift
        vecs.append([rng.randint(-(1 << (spread - 1)), (1 << (spread - 1)) - 1) for _ in range(H)])
    return vecs


@register_deriver("norm")
def derive_norm(spec: NormSpec) -> TestPlan:
    rng = random.Random(spec.seed)
    lo, hi = -(1 << (spec.in_bits - 1)), (1 << (spec.in_bits - 1)) - 1
    H, P = spec.hidden, spec.lanes
    sample = bound_vectors(spec)
    err = (norm_golden(sample, spec) - rounded_float_codes(sample, spec)).abs().max(dim=1).values
    worst = sample[err.argsort(descending=True, stable=True)[:16]].tolist()
    spaced = sample[torch.linspace(0, len(sample) - 1, 16).long()].tolist()
    rand = [[rng.randint(lo, hi) for _ in range(H)] for _ in range(16)]

    def beats(vecs: list[list[int]]) -> list[dict]:
        return [{"data": v[b * P:(b + 1) * P]} for v in vecs for b in range(spec.beats)]

    def case(name, vecs, bubbles, stalls, tags, bound=False):
        x = torch.tensor(vecs, dtype=torch.int64)
        y = rounded_float_codes(x, spec) if bound else norm_golden(x, spec)
        return stream_case(name, beats(vecs), beats(y.tolist()), jobs=len(vecs), latency=spec.job_cycles,
                           bubbles=bubbles, stalls=stalls, atol=spec.atol if bound else 0, tags=tags)

    cases = [
        case("bound_vs_float", worst + spaced, 0.2, 0.2, ["bound"], bound=True),
        case("corners", _corners(spec, rng), 0.3, 0.3, ["corner"]),
        case("random_exact", rand, 0.3, 0.3, ["random"]),
        case("heavy_backpressure", rand[:4], 0.1, 0.8, ["backpressure"]),
        case("throughput", rand[4:10], 0.0, 0.0, ["perf"]),
    ]
    return build_plan(spec, with_schedule(cases, spec.job_cycles), ideal_job_cycles=spec.job_cycles, coverage={
        "bound_vs_float": True, "spike_in_every_lane": True, "variance_octaves": True, "backpressure": True})
