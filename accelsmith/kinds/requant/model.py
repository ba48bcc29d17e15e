"""Bit-accurate golden model of the requantiser, in torch int64 (products stay below 2**62)."""

from __future__ import annotations

import torch

from accelsmith.kinds.requant.spec import RequantSpec


def rounding_shift(p: torch.Tensor, s: torch.Tensor, rounding: str) -> torch.Tensor:
    """Arithmetic right shift of int64 ``p`` by ``s`` (elementwise, 0..62) with the spec's tie rule."""
    floor = p >> s
    rem = p - (floor << s)
    half = torch.where(s > 0, torch.ones_like(s) << (s - 1).clamp(min=0), torch.zeros_like(s))
    if rounding == "nearest":
        up = (s > 0) & (rem >= half)
    else:
        up = (s > 0) & ((rem > half) | ((rem == half) & (floor % 2 != 0)))
    return floor + up.to(torch.int64)


def requant_golden(x: torch.Tensor, spec: RequantSpec) -> torch.Tensor:
    """x: (beats, lanes) int64 in stream order -> (beats, lanes) int64 outputs."""
    x = x.to(torch.int64)
    params = spec.lane_params()
    mult = torch.tensor([m for m, _ in params], dtype=torch.int64).view(spec.groups, spec.lanes)
    shift = torch.tensor([s for _, s in params], dtype=torch.int64).view(spec.groups, spec.lanes)
    g = torch.arange(x.shape[0]) % spec.groups
    q = rounding_shift(x * mult[g], shift[g], spec.rounding) + spec.zero_point
    lo, hi = spec.out_range
    if spec.saturation:
        return q.clamp(lo, hi)
    mod = 1 << spec.out_bits
    q = torch.remainder(q, mod)
    return torch.where(q > hi, q - mod, q)
