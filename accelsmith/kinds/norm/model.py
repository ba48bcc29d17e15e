"""Norm golden model (the RTL's integer algorithm, bit for bit, in python ints), float reference, bound check."""

from __future__ import annotations

import math

import torch

RSQRT_BITS = 16  # fraction bits of the reciprocal square root and of the normalised variance
NEWTON_STEPS = 2  # Newton iterations after the 6-entry seed table (one cycle each)

R = RSQRT_BITS
# seed for m in [1 + j/2, 1.5 + j/2): 2^16 / sqrt(bucket midpoint)
SEEDS = [round((1 << R) / math.sqrt(1.25 + j / 2)) for j in range(6)]


def rsqrt_fixed(v: int, seeds: list[int] = SEEDS) -> tuple[int, int]:
    """(y, k): y / 2^16 ~ 1 / sqrt(v / 4^k), v / 4^k in [1, 4). ``seeds``: the seed table (bench searches
    try a perturbed one; the RTL's is ``SEEDS``)."""
    b = v.bit_length() - 1
    e2 = b - (b & 1)
    m = (v << R) >> e2
    y = seeds[(m >> (R - 1)) - 2]
    for _ in range(NEWTON_STEPS):
        h = (m * y * y) >> (2 * R)
        y = (y * (3 * (1 << R) - h)) >> (R + 1)
    return y, e2 // 2


def seed_bucket(v: int) -> int:
    """The seed-table entry that ``rsqrt_fixed`` starts from for V = v."""
    b = v.bit_length() - 1
    return (((v << R) >> (b - (b & 1))) >> (R - 1)) - 2


def norm_golden(x: torch.Tensor, spec, seeds: list[int] = SEEDS) -> torch.Tensor:
    """x: (vectors, hidden) codes -> (vectors, hidden) output codes, exactly as the RTL computes them
    (``seeds``: as in ``rsqrt_fixed``)."""
    H, ln = spec.hidden, spec.norm == "layernorm"
    gam, bet = spec.per_element(spec.gamma), spec.per_element(spec.beta)
    lo, hi = -(1 << (spec.out_bits - 1)), (1 << (spec.out_bits - 1)) - 1
    out = []
    for row in x.tolist():
        s1, s2 = sum(row), sum(v * v for v in row)
        v = H * s2 - (s1 * s1 if ln else 0) + spec.eps_codes
        y, k = rsqrt_fixed(v, seeds)
        sh = R + k + spec.gamma_frac - spec.out_frac
        out.append([min(hi, max(lo, (((H * xi - (s1 if ln else 0)) * y * g + (1 << (sh - 1))) >> sh) + b))
                    for xi, g, b in zip(row, gam, bet)])
    return torch.tensor(out, dtype=torch.int64)


def norm_float_codes(x: torch.Tensor, spec) -> torch.Tensor:
    """Float layernorm/rmsnorm in output LSBs (float64), clamped to the output range."""
    xr = x.to(torch.float64) / (1 << spec.in_frac)
    if spec.norm == "layernorm":
        z = (xr - xr.mean(dim=1, keepdim=True)) / torch.sqrt(xr.var(dim=1, unbiased=False, keepdim=True) + spec.eps)
    else:
        z = xr / torch.sqrt((xr * xr).mean(dim=1, keepdim=True) + spec.eps)
    g = torch.tensor(spec.per_element(spec.gamma), dtype=torch.float64) / (1 << spec.gamma_frac)
    b = torch.tensor(spec.per_element(spec.beta), dtype=torch.float64)
    y = z * g * (1 << spec.out_frac) + b
    return y.clamp(-(1 << (spec.out_bits - 1)), (1 << (spec.out_bits - 1)) - 1)


def rounded_float_codes(x: torch.Tensor, spec) -> torch.Tensor:
    return torch.floor(norm_float_codes(x, spec) + 0.5).to(torch.int64)


def bound_vectors(spec, count: int = 300) -> torch.Tensor:
    """Deterministic dense sample: random, near-constant (tiny variance), spikes, extremes."""
    lo, hi = spec.in_range
    H = spec.hidden
    g = spec.sample_generator()
    rand = torch.randint(lo, hi + 1, (count, H), generator=g)
    base = torch.randint(lo, max(hi - 3, lo + 1), (count, 1), generator=g)
    flat = base + torch.randint(0, 4, (count, H), generator=g)
    spikes = torch.where(torch.arange(H) == torch.randint(0, H, (count, 1), generator=g),
                         torch.randint(lo, hi + 1, (count, 1), generator=g), torch.randint(-2, 3, (count, H), generator=g))
    fixed = torch.tensor([[lo] * H, [hi] * H, [0] * H, [lo, hi] * (H // 2) + [0] * (H % 2)])
    return torch.cat([rand, flat, spikes.clamp(lo, hi), fixed]).to(torch.int64)


def bound_check(spec) -> tuple[int, list[int]]:
    """Worst |golden - round(float)| in LSB over ``bound_vectors`` and the vector reaching it."""
    x = bound_vectors(spec)
    err = (norm_golden(x, spec) - rounded_float_codes(x, spec)).abs().max(dim=1).values
    i = int(err.argmax())
    return int(err[i]), x[i].tolist()
