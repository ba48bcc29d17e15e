"""Softmax golden model (the RTL's integer algorithm, bit for bit), float reference and bound check."""

from __future__ import annotations

import math

import torch

GUARD_BITS = 4  # reciprocal guard bits: its floor costs at most 2^-4 output LSB
LOG2E_BITS = 16  # fraction bits of the log2(e) constant

LOG2E = round(math.log2(math.e) * (1 << LOG2E_BITS))


def exp_table(spec) -> list[int]:
    """T[j] = round(2^(-j / 2^exp_table_bits) * 2^exp_bits): T[0] = 2^exp_bits, all in (2^(exp_bits-1), 2^exp_bits]."""
    n = 1 << spec.exp_table_bits
    return [math.floor(2.0 ** (-j / n) * (1 << spec.exp_bits) + 0.5) for j in range(n)]


def exps(x: torch.Tensor, spec, table: list[int] | None = None) -> torch.Tensor:
    """x: (vectors, length) codes -> e_i = T[frac] >> int of round(d_i * LOG2E) at exp_table_bits fraction bits."""
    x = x.to(torch.int64)
    d = x.max(dim=1, keepdim=True).values - x
    drop = spec.in_frac + LOG2E_BITS - spec.exp_table_bits
    tr = (d * LOG2E + (1 << (drop - 1))) >> drop
    table = torch.tensor(table or exp_table(spec), dtype=torch.int64)
    n = (tr >> spec.exp_table_bits).clamp(max=spec.exp_bits + 1)  # beyond exp_bits every entry shifts to 0
    return table[tr & ((1 << spec.exp_table_bits) - 1)] >> n


def softmax_golden(x: torch.Tensor, spec, table: list[int] | None = None) -> torch.Tensor:
    """x: (vectors, length) int codes -> (vectors, length) output codes, exactly as the RTL computes them."""
    e = exps(x, spec, table)  # table: the exp table to use (tests and the deriver perturb it)
    total = e.sum(dim=1, keepdim=True)
    k = spec.exp_bits + spec.out_frac + GUARD_BITS
    recip = (1 << k) // total  # the restoring division's quotient
    p = (e * recip + (1 << (spec.exp_bits + GUARD_BITS - 1))) >> (spec.exp_bits + GUARD_BITS)
    return p.clamp(max=(1 << spec.out_bits) - 1)


def softmax_float_codes(x: torch.Tensor, spec) -> torch.Tensor:
    """Float softmax in output LSBs (float64), clamped to the output range."""
    p = torch.softmax(x.to(torch.float64) / (1 << spec.in_frac), dim=1) * (1 << spec.out_frac)
    return p.clamp(max=(1 << spec.out_bits) - 1)


def rounded_float_codes(x: torch.Tensor, spec) -> torch.Tensor:
    """The float result rounded to the nearest code: what the bench compares with atol."""
    return torch.floor(softmax_float_codes(x, spec) + 0.5).to(torch.int64)


def bound_vectors(spec, count: int = 600) -> torch.Tensor:
    """Deterministic dense sample: every max-minus-x distance as a two-level vector, peaks, flat, random."""
    lo, hi = spec.in_range
    L = spec.length
    g = spec.sample_generator()
    d = torch.arange(hi - lo + 1).unsqueeze(1)
    at = torch.arange(L).unsqueeze(0) == d % L  # the odd element's position moves with d
    one_high = torch.where(at, hi, hi - d)  # one element at hi, the rest d below it
    one_low = torch.where(at, hi - d, hi)  # one element d below the rest
    k = torch.arange(1, L).unsqueeze(1)
    k_max = torch.where(torch.arange(L).unsqueeze(0) < k, hi, lo)  # k maxima, rest at the minimum
    rand = torch.randint(lo, hi + 1, (count, L), generator=g)
    spread = torch.randint(0, 1 << max(1, spec.in_frac + 2), (count, L), generator=g)
    near = (hi - spread).clamp(min=lo)
    return torch.cat([one_high, one_low, k_max, rand, near]).to(torch.int64)


def bound_check(spec) -> tuple[int, list[int]]:
    """Worst |golden - round(float)| in LSB over ``bound_vectors`` and the vector reaching it."""
    x = bound_vectors(spec)
    err = (softmax_golden(x, spec) - rounded_float_codes(x, spec)).abs().max(dim=1).values
    i = int(err.argmax())
    return int(err[i]), x[i].tolist()
