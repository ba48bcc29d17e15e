"""Stimulus for NormSpec: bit-exact cases against the golden model, and bound cases against float.

Bound cases reuse the validator's checked sample (worst vectors first) at atol = floor(max_abs_error *
2**out_frac - 0.5), so passing implies the stated bound; exact cases (atol 0) pin the RTL to the golden
model: flat and near-flat vectors (tiny variance, every seed bucket), spikes, extremes, random streams.
``extremes`` drives each datapath width to its bound (one code against all the others at the opposite
extreme, at the largest |gamma| and in every lane of the first and last beat; near-extreme flat vectors);
``seed_sensitive`` holds, per Newton-seed entry, a searched vector whose output changes when that entry is
one higher (the two Newton steps absorb most such changes, so random vectors rarely show one).
"""

from __future__ import annotations

import functools
import random

import torch

from accelsmith.kinds.norm import NormSpec, norm_golden, rounded_float_codes
from accelsmith.kinds.norm.model import RSQRT_BITS, SEEDS, bound_vectors, rsqrt_fixed
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import TestPlan
from accelsmith.verification.plans._common import (bound_picks, build_plan, covering_positions, random_vectors,
                                                    vector_cases, with_schedule)


def _corners(spec: NormSpec, rng: random.Random) -> list[list[int]]:
    lo, hi = spec.in_range
    H = spec.hidden
    vecs = [[0] * H, [lo] * H, [hi] * H, [lo, hi] * (H // 2) + [0] * (H % 2), [hi - 1, hi] * (H // 2) + [hi] * (H % 2)]
    for pos in covering_positions(H, spec.lanes):  # a spike in every lane of every beat
        vecs.append([(hi if pos % 2 else lo) if i == pos else rng.randint(-1, 1) for i in range(H)])
    for spread in range(1, spec.in_bits + 1):  # variances across many octaves: every normalise shift
        vecs.append([rng.randint(-(1 << (spread - 1)), (1 << (spread - 1)) - 1) for _ in range(H)])
    return vecs


def _extremes(spec: NormSpec, rng: random.Random) -> list[list[int]]:
    lo, hi = spec.in_range
    H, P = spec.hidden, spec.lanes
    gam = spec.per_element(spec.gamma)
    top = max(range(H), key=lambda i: abs(gam[i]))
    spots = sorted({top, *range(P), *range(H - P, H)})
    vecs = []
    for pos in spots:  # |H*x - S1| at its largest: (H-1) * (hi - lo)
        vecs.append([hi if i == pos else lo for i in range(H)])
        vecs.append([lo if i == pos else hi for i in range(H)])
    # |S1| and S2 near their bounds with a non-zero variance
    vecs.append([min(hi, lo + rng.randint(0, 3)) for _ in range(H)])
    vecs.append([max(lo, hi - rng.randint(0, 3)) for _ in range(H)])
    vecs.append([0] * (H - 1) + [1])  # the least non-zero variance: V = H - 1 + E (rmsnorm H + E)
    return vecs


@functools.cache
def _bump_sensitive() -> list[frozenset[int]]:
    """Per seed entry j, the normalised variances m (V = m at 4^k = 2^16) whose rsqrt changes when SEEDS[j]
    is one higher: a few per cent of entry j's m, or fewer."""
    out = []
    for j in range(len(SEEDS)):
        bumped = SEEDS[:j] + [SEEDS[j] + 1] + SEEDS[j + 1:]
        span = range((j + 2) << (RSQRT_BITS - 1), (j + 3) << (RSQRT_BITS - 1))
        out.append(frozenset(m for m in span if rsqrt_fixed(m) != rsqrt_fixed(m, bumped)))
    return out


def _seed_sensitive(spec: NormSpec, rng: random.Random, bases: int | None = None) -> list[list[int]]:
    """Per seed entry j, a vector whose output changes when SEEDS[j] is one higher (when the search finds one).

    A +1 on a seed moves the Newton result by one LSB for a few per cent of m only (``_bump_sensitive``),
    and then moves an output only when it lies within about |y_i| / 2^16 of a rounding boundary. So this
    sweeps one element of seeded random vectors over the input codes (V is quadratic in it), keeps the V
    whose m is sensitive to an entry not yet covered, and checks the outputs with the golden model.
    """
    lo, hi = spec.in_range
    H, ln, E = spec.hidden, spec.norm == "layernorm", spec.eps_codes
    codes = list(range(lo, hi + 1)) if hi - lo < 512 else sorted({rng.randint(lo, hi) for _ in range(512)})
    entry = {m: j for j, ms in enumerate(_bump_sensitive()) for m in ms}
    found: dict[int, list[int]] = {}
    for _ in range(bases or min(3000, max(100, 48000 // H))):  # about 50k golden elements at most
        spread = rng.randint(2, spec.in_bits)
        rest = [rng.randint(max(lo, -(1 << (spread - 1))), min(hi, (1 << (spread - 1)) - 1)) for _ in range(H - 1)]
        s1r, s2r = sum(rest), sum(x * x for x in rest)
        for x0 in codes:
            v = H * (s2r + x0 * x0) - ((s1r + x0) ** 2 if ln else 0) + E
            j = entry.get((v << RSQRT_BITS) >> ((v.bit_length() - 1) & ~1))
            if j is None or j in found:
                continue
            bumped = SEEDS[:j] + [SEEDS[j] + 1] + SEEDS[j + 1:]
            x = torch.tensor([[x0] + rest], dtype=torch.int64)
            if (norm_golden(x, spec) != norm_golden(x, spec, bumped)).any():
                found[j] = [x0] + rest
        if len(found) == len(SEEDS):
            break
    return [found[j] for j in sorted(found)]


def _v2(n: torch.Tensor) -> torch.Tensor:
    """The 2-adic valuation of each non-zero entry (the count of trailing zero bits); 63 for zero."""
    low = n & -n
    return torch.where(n == 0, torch.full_like(n, 63), torch.log2(low.abs().double()).round().long())


def _exact_ties(spec: NormSpec, bases: int = 4000) -> dict[bool, list[int]]:
    """Per product sign (True: positive), a vector holding an element whose output product is an exact rounding
    tie (residue 2^(sh-1) mod 2^sh, i.e. exactly sh - 1 trailing zero bits) and whose two candidate codes (the
    tie rounded up and down, plus beta) both fit the output range, so a rule other than round half up shows.

    Exact ties need the Newton result y to carry many trailing zeros (a few y in 2^8 or fewer), so random
    vectors almost never hold one. This sweeps one element of seeded random bases (graded spreads, and mixes of
    extremes and small codes) over the input codes, and tests every element of every swept vector at once.
    Seeded apart from the plan's other draws and cached per spec: at H = 384 the search takes seconds."""
    return {k: list(v) for k, v in _exact_ties_cached(spec.model_dump_json(), bases).items()}


@functools.lru_cache(maxsize=64)
def _exact_ties_cached(spec_json: str, bases: int) -> dict[bool, tuple[int, ...]]:
    spec = NormSpec.model_validate_json(spec_json)
    rng = random.Random(f"exact-ties-{spec.seed}")
    lo, hi = spec.in_range
    olo, ohi = -(1 << (spec.out_bits - 1)), (1 << (spec.out_bits - 1)) - 1
    H, ln = spec.hidden, spec.norm == "layernorm"
    gam = torch.tensor(spec.per_element(spec.gamma), dtype=torch.int64)
    bet = torch.tensor(spec.per_element(spec.beta), dtype=torch.int64)
    vg = _v2(gam)
    codes = list(range(lo, hi + 1)) if hi - lo < 512 else sorted({rng.randint(lo, hi) for _ in range(512)})
    x0 = torch.tensor(codes, dtype=torch.int64)
    found: dict[bool, tuple[int, ...]] = {}
    for _ in range(bases):
        if rng.random() < 0.5:
            spread = rng.randint(2, spec.in_bits)
            rest = [rng.randint(max(lo, -(1 << (spread - 1))), min(hi, (1 << (spread - 1)) - 1)) for _ in range(H - 1)]
        else:
            rest = [rng.choice([lo, hi, lo + 1, hi - 1, -1, 0, 1, rng.randint(lo, hi)]) for _ in range(H - 1)]
        s1r, s2r = sum(rest), sum(x * x for x in rest)
        yk = [rsqrt_fixed(H * (s2r + c * c) - ((s1r + c) ** 2 if ln else 0) + spec.eps_codes) for c in codes]
        y = torch.tensor([t[0] for t in yk], dtype=torch.int64)
        sh = torch.tensor([RSQRT_BITS + t[1] + spec.gamma_frac - spec.out_frac for t in yk], dtype=torch.int64)
        rows = torch.cat([x0[:, None], torch.tensor(rest, dtype=torch.int64).expand(len(codes), H - 1)], dim=1)
        a = H * rows - ((x0 + s1r)[:, None] if ln else 0)
        hit = (a != 0) & (gam != 0) & (sh[:, None] >= 1) & (_v2(a) + vg + _v2(y)[:, None] == sh[:, None] - 1)
        if not hit.any():
            continue
        p = a * y[:, None] * gam
        r = (p + (1 << (sh[:, None] - 1).clamp(min=0))) >> sh[:, None]
        hit &= (r - 1 + bet >= olo) & (r + bet <= ohi)
        for row, col in hit.nonzero().tolist():
            found.setdefault(bool(p[row, col] > 0), tuple(rows[row].tolist()))
        if len(found) == 2:
            break
    return found


def _near_ties(spec: NormSpec, rng: random.Random, per_side: int = 3) -> tuple[list[list[int]], int, set[bool]]:
    """Vectors holding the elements nearest to the output rounding's tie (round half up: the product's residue
    at 2^(sh-1)), from below and from above, for positive and for negative products; exact ties first when the
    search meets one. Returns (vectors, exact ties found, the product signs met: True positive). Random vectors
    rarely hold an exact tie; ``_exact_ties`` searches for them."""
    lo, hi = spec.in_range
    H, ln = spec.hidden, spec.norm == "layernorm"
    gam = spec.per_element(spec.gamma)
    best: dict[tuple[bool, bool], list[tuple[int, list[int]]]] = {}
    exact = 0
    for _ in range(min(2000, max(100, 48000 // H))):
        spread = rng.randint(2, spec.in_bits)
        row = [rng.randint(max(lo, -(1 << (spread - 1))), min(hi, (1 << (spread - 1)) - 1)) for _ in range(H)]
        s1, s2 = sum(row), sum(v * v for v in row)
        y, k = rsqrt_fixed(H * s2 - (s1 * s1 if ln else 0) + spec.eps_codes)
        sh = RSQRT_BITS + k + spec.gamma_frac - spec.out_frac
        if sh < 1:
            continue
        half = 1 << (sh - 1)
        for xi, g in zip(row, gam):
            p = (H * xi - (s1 if ln else 0)) * y * g
            if p == 0:
                continue
            off = (p & ((1 << sh) - 1)) - half   # 0: an exact tie; < 0 just below it, > 0 at or just above it
            exact += off == 0
            side = best.setdefault((p > 0, off >= 0), [])
            side.append((abs(off), row))
            side.sort(key=lambda t: t[0])
            del side[per_side:]
    vecs = []
    for key in sorted(best):
        for _, row in best[key]:
            if row not in vecs:
                vecs.append(row)
    return vecs, exact, {positive for positive, _ in best}


@register_deriver(NormSpec)
def derive_norm(spec: NormSpec) -> TestPlan:
    rng = random.Random(spec.seed)
    lo, hi = spec.in_range
    sample = bound_vectors(spec)
    bound = bound_picks(spec, sample, norm_golden, rounded_float_codes, 16)
    rand = random_vectors(rng, 16, spec.hidden, lo, hi)
    case = vector_cases(spec, norm_golden, rounded_float_codes)

    seeded = _seed_sensitive(spec, rng)
    ties, exact_ties, tie_signs = _near_ties(spec, rng)
    exact = _exact_ties(spec)
    ties = [exact[sign] for sign in sorted(exact)] + [v for v in ties if v not in exact.values()]
    cases = [c for c in [
        case("bound_vs_float", bound, 0.2, 0.2, ["bound"], bound=True),
        case("corners", _corners(spec, rng), 0.3, 0.3, ["corner"]),
        case("extremes", _extremes(spec, rng), 0.2, 0.2, ["corner"]),
        case("seed_sensitive", seeded, 0.1, 0.1, ["corner"]) if seeded else None,
        case("rounding_ties", ties, 0.2, 0.2, ["corner", "rounding"]) if ties else None,
        case("random_exact", rand, 0.3, 0.3, ["random"]),
        case("heavy_backpressure", rand[:4], 0.1, 0.8, ["backpressure"]),
        case("throughput", rand[4:10], 0.0, 0.0, ["perf"]),
    ] if c is not None]
    return build_plan(spec, with_schedule(cases, spec.job_cycles), ideal_job_cycles=spec.job_cycles, coverage={
        "bound_vs_float": True, "spike_in_every_lane": True, "variance_octaves": True, "backpressure": True,
        "width_extremes": True, "every_seed_entry_sensitive": len(seeded) == len(SEEDS),
        "rounding_near_ties_both_signs": tie_signs == {True, False}, "rounding_exact_tie": exact_ties > 0 or bool(exact),
        "rounding_exact_ties_both_signs": sorted(exact) == [False, True]})
