"""Bit-accurate golden model of the GEMM array, in torch integer arithmetic."""

from __future__ import annotations

import torch

from accelsmith.kinds.gemm.spec import GemmSpec


def _wrap(x: torch.Tensor, bits: int, signed: bool) -> torch.Tensor:
    mod = 1 << bits
    x = torch.remainder(x, mod)
    if signed:
        x = torch.where(x >= (1 << (bits - 1)), x - mod, x)
    return x


def acc_range(spec: GemmSpec) -> tuple[int, int]:
    if spec.signed:
        return -(1 << (spec.acc_bits - 1)), (1 << (spec.acc_bits - 1)) - 1
    return 0, (1 << spec.acc_bits) - 1


def gemm_golden(a: torch.Tensor, b: torch.Tensor, spec: GemmSpec) -> torch.Tensor:
    """C = A @ B with the accumulator's width and overflow rule.

    a: (..., rows, k) int64, b: (..., k, cols) int64 -> (..., rows, cols) int64.
    Wrap is exact modulo 2^acc_bits whatever the order; saturate clamps after each MAC in k order,
    exactly as the hardware accumulates.
    """
    a = a.to(torch.int64)
    b = b.to(torch.int64)
    if spec.overflow == "wrap":
        return _wrap(torch.matmul(a, b), spec.acc_bits, spec.signed)
    lo, hi = acc_range(spec)
    acc = torch.zeros(a.shape[:-1] + (b.shape[-1],), dtype=torch.int64)
    for t in range(a.shape[-1]):
        acc = torch.clamp(acc + a[..., :, t : t + 1] * b[..., t : t + 1, :], lo, hi)
    return acc


def overflows(a: torch.Tensor, b: torch.Tensor, spec: GemmSpec) -> bool:
    """True when some running sum leaves the accumulator's range (the overflow rule matters)."""
    lo, hi = acc_range(spec)
    partial = torch.cumsum(a.to(torch.int64).unsqueeze(-1) * b.to(torch.int64).unsqueeze(-3), dim=-2)
    return bool((partial < lo).any() or (partial > hi).any())
