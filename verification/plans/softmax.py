"""Stimulus for SoftmaxSpec: bit-exact cases against the golden model, and bound cases against float.

Bound cases take vectors from the validator's checked sample (the worst ones first), compare with
round(float softmax) at ``atol = floor(max_abs_error * 2**out_frac - 0.5)``, so passing implies the
stated bound. Exact cases (atol 0) pin the RTL to the golden model: every max-minus-x distance, the
maximum in every lane and beat, flat and extreme vectors, vectors whose outputs move with one exp-table
entry or with a sum or reciprocal one off, random vectors under bubbles and stalls.
"""

from __future__ import annotations

import random

import torch

from accelsmith.kinds.softmax import SoftmaxSpec, rounded_float_codes, softmax_golden
from accelsmith.kinds.softmax.model import GUARD_BITS, bound_vectors, exp_table, exps
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import TestPlan
from accelsmith.verification.plans._common import (bound_picks, build_plan, covering_positions, random_vectors,
                                                    vector_cases, with_schedule)


def _distance_sweep(spec: SoftmaxSpec, rng: random.Random) -> list[list[int]]:
    """Vectors holding the maximum and then every distance d = max - x once (all exp shifts and indices)."""
    lo, hi = spec.in_range
    dists = list(range(1, hi - lo + 1))
    vecs = []
    for k in range(0, len(dists), spec.length - 1):
        chunk = dists[k:k + spec.length - 1]
        top = rng.randint(lo + chunk[-1], hi)  # max anywhere it leaves room for the largest distance
        v = [top] + [top - d for d in chunk] + [top] * (spec.length - 1 - len(chunk))
        rng.shuffle(v)
        vecs.append(v)
    return vecs


def _corners(spec: SoftmaxSpec) -> list[list[int]]:
    lo, hi = spec.in_range
    L = spec.length
    vecs = [[0] * L, [lo] * L, [hi] * L, [lo, hi] * (L // 2) + [lo] * (L % 2)]
    for pos in covering_positions(L, spec.lanes):  # the maximum in every lane of every beat, others close/far below
        vecs.append([hi if i == pos else hi - 1 - (i % 3) for i in range(L)])
        vecs.append([lo + 1 if i == pos else lo for i in range(L)])
    # strictly falling: the first beat holds the max; strictly rising: every beat raises the running max (both
    # held at the input range's end once L exceeds it)
    vecs.append([max(lo, hi - i) for i in range(L)])
    vecs.append([min(hi, lo + i) for i in range(L)])
    for pos in (0, L - 1):  # one maximum, the rest as far below as the range allows (p = 1 at most)
        vecs.append([hi if i == pos else lo for i in range(L)])
    return vecs


def _divider_sensitive(spec: SoftmaxSpec, tries: int = 4096) -> list[list[int]]:
    """Vectors whose outputs change when the exp sum or the reciprocal is one off, or the product's rounding is.

    The reciprocal carries guard bits, so a sum or quotient off by a few units usually rounds to the same
    codes; this searches seeded candidates (few large terms, many small ones, sums that are powers of two)
    for each such slip, then adds the sums at the top of their range.
    """
    lo, hi = spec.in_range
    L, eb = spec.length, spec.exp_bits
    k = eb + spec.out_frac + GUARD_BITS
    g = torch.Generator().manual_seed((spec.seed ^ 0x5F3) % (1 << 62))
    span = hi - lo + 1
    near = torch.randint(0, max(2, 1 << (spec.in_frac + 3)), (tries, L), generator=g).clamp(max=span - 1)
    far = torch.randint(0, span, (tries, L), generator=g)
    dist = torch.where(torch.rand((tries, L), generator=g) < torch.rand((tries, 1), generator=g), near, far)
    dist[:, 0] = 0
    top = torch.randint(lo + int(dist.max()), hi + 1, (tries, 1), generator=g)  # dist <= span - 1: lo + dist <= hi
    x = (top - dist).clamp(min=lo)
    e = exps(x, spec)
    total = e.sum(dim=1, keepdim=True)

    def out(tot, dq=0, half=1 << (eb + GUARD_BITS - 1)):
        q = (1 << k) // tot + dq
        return ((e * q + half) >> (eb + GUARD_BITS)).clamp(max=(1 << spec.out_bits) - 1)

    ref = out(total)
    vecs = []
    for alt in (out(total - 1), out(total + 1), out(total - spec.beats), out(total, -1), out(total, 1),
                out(total, 0, 0), out(total, 0, 1 << (eb + GUARD_BITS))):
        diff = (alt != ref).any(dim=1)
        if diff.any():
            vecs.append(x[int(diff.nonzero()[0])].tolist())
    pow2 = (total & (total - 1)) == 0  # exact division: the remainder reaches zero
    if pow2.any():
        vecs.append(x[int(pow2.nonzero()[0, 0])].tolist())
    vecs.append(x[int(total.argmax())].tolist())  # the largest sum: top bits of the sum and remainder
    return vecs


def _table_sensitive(spec: SoftmaxSpec, rng: random.Random, tries: int = 1024) -> list[list[int]]:
    """Per exp-table entry j, a vector whose output changes when T[j] is one higher (when any does).

    A +1 on an entry moves an output by about 2^-(log2 L + 4) LSB, so random vectors almost never see
    it; this searches seeded candidates that place the distances using entry j next to random ones.
    """
    lo, hi = spec.in_range
    L = spec.length
    table = exp_table(spec)
    d = torch.arange(hi - lo + 1)
    ref = torch.stack([torch.zeros_like(d), -d], dim=1)  # vectors (0, -d): column 1 holds e(d)
    base = exps(ref, spec, table)[:, 1]
    g = torch.Generator().manual_seed(spec.seed % (1 << 62))
    vecs = []
    for j in range(len(table)):
        bumped = table[:j] + [table[j] + 1] + table[j + 1:]
        ds = d[exps(ref, spec, bumped)[:, 1] != base]
        if not len(ds):
            continue  # no distance reaches entry j with a visible change: the +1 is unobservable
        top = torch.randint(lo + int(ds.max()), hi + 1, (tries, 1), generator=g)
        dist = torch.randint(0, hi - lo + 1, (tries, L), generator=g)
        hot = torch.rand((tries, L), generator=g) < torch.rand((tries, 1), generator=g)
        dist = torch.where(hot, ds[torch.randint(0, len(ds), (tries, L), generator=g)], dist)
        dist[:, 0] = 0
        x = (top - dist).clamp(min=lo)
        diff = (softmax_golden(x, spec, table) != softmax_golden(x, spec, bumped)).any(dim=1)
        if diff.any():
            v = x[int(diff.nonzero()[0])].tolist()
            rng.shuffle(v)
            vecs.append(v)
    return vecs


def _rounding_ties(spec: SoftmaxSpec, count: int = 8, tries: int = 4000) -> tuple[list[list[int]], int]:
    """Searched vectors where p_i = round(e_i * recip) meets an exact tie (the product's residue is exactly half,
    rounded up), then vectors one step below a tie; returns (vectors, vectors with an exact tie)."""
    lo, hi = spec.in_range
    g = torch.Generator().manual_seed(spec.seed % (1 << 62) + 1)
    narrow = (hi - torch.randint(0, 1 << max(1, spec.in_frac + 3), (tries, spec.length), generator=g)).clamp(min=lo)
    x = torch.cat([torch.randint(lo, hi + 1, (tries, spec.length), generator=g), narrow])
    e = exps(x, spec)
    recip = (1 << (spec.exp_bits + spec.out_frac + GUARD_BITS)) // e.sum(dim=1, keepdim=True)
    sh = spec.exp_bits + GUARD_BITS
    off = ((e * recip) & ((1 << sh) - 1)) - (1 << (sh - 1))
    tie = (off == 0).any(dim=1).nonzero().flatten()[:count]
    below = (off == -1).any(dim=1).nonzero().flatten()[:count // 2]
    return x[torch.cat([tie, below])].tolist(), len(tie)


@register_deriver(SoftmaxSpec)
def derive_softmax(spec: SoftmaxSpec) -> TestPlan:
    rng = random.Random(spec.seed)
    lo, hi = spec.in_range
    L = spec.length
    sample = bound_vectors(spec)
    bound = bound_picks(spec, sample, softmax_golden, rounded_float_codes, 24)
    rand = random_vectors(rng, 16, L, lo, hi)
    narrow = [[max(lo, hi - rng.randint(0, 1 << (spec.in_frac + 2))) for _ in range(L)] for _ in range(16)]
    case = vector_cases(spec, softmax_golden, rounded_float_codes)

    ties, exact_ties = _rounding_ties(spec)
    cases = [c for c in [
        case("bound_vs_float", bound, 0.2, 0.2, ["bound"], bound=True),
        case("rounding_ties", ties, 0.2, 0.2, ["corner", "rounding"]),
        case("distance_sweep", _distance_sweep(spec, rng), 0.2, 0.2, ["corner", "exhaustive"]),
        case("corners", _corners(spec), 0.3, 0.3, ["corner"]),
        case("table_sensitive", _table_sensitive(spec, rng), 0.1, 0.1, ["corner"]),
        case("divider_sensitive", _divider_sensitive(spec), 0.1, 0.1, ["corner"]),
        case("random_exact", rand + narrow, 0.3, 0.3, ["random"]),
        case("heavy_backpressure", rand[:4], 0.1, 0.8, ["backpressure"]),
        case("throughput", narrow[:6], 0.0, 0.0, ["perf"]),
    ] if c is not None]
    return build_plan(spec, with_schedule(cases, spec.job_cycles), ideal_job_cycles=spec.job_cycles, coverage={
        "bound_vs_float": True, "every_distance": True, "max_in_every_lane": True, "backpressure": True,
        "rounding_exact_tie": exact_ties > 0})
