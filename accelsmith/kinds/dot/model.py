"""Bit-accurate golden model of the dot-product unit."""

from __future__ import annotations

import torch

from accelsmith.kinds.dot.spec import DotSpec


def wrap(x: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
    mod = 1 << bits
    x = torch.remainder(x, mod)
    return torch.where(x >= (1 << (bits - 1)), x - mod, x) if signed else x


def dot_golden(a: torch.Tensor, b: torch.Tensor, spec: DotSpec) -> torch.Tensor:
    """a, b: (..., length) int64 -> (...,) int64, wrapped to ``out_bits``."""
    return wrap((a.to(torch.int64) * b.to(torch.int64)).sum(-1), spec.out_bits, spec.signed)
