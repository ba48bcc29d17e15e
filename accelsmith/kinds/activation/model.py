"""Golden model of the activation unit: the float function, and the rounded table the RTL holds."""

from __future__ import annotations

import math

import torch


def float_fn(spec, x: torch.Tensor) -> torch.Tensor:
    """The exact function on real-valued x (float64)."""
    if spec.function == "gelu":
        return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    if spec.function == "tanh":
        return torch.tanh(x)
    return x * torch.sigmoid(x)


def codes(spec) -> torch.Tensor:
    """Every signed input code, ascending."""
    return torch.arange(-(1 << (spec.in_bits - 1)), 1 << (spec.in_bits - 1), dtype=torch.int64)


def table(spec) -> torch.Tensor:
    """Output code for each input code (same order as ``codes``): round half away from zero, then clamp."""
    x = codes(spec).to(torch.float64) / (1 << spec.in_frac)
    y = float_fn(spec, x) * (1 << spec.out_frac)
    q = torch.sign(y) * torch.floor(y.abs() + 0.5)
    return q.clamp(-(1 << (spec.out_bits - 1)), (1 << (spec.out_bits - 1)) - 1).to(torch.int64)


def table_error_lsb(spec) -> float:
    x = codes(spec).to(torch.float64) / (1 << spec.in_frac)
    return float((table(spec) - float_fn(spec, x) * (1 << spec.out_frac)).abs().max())


def activation_golden(x: torch.Tensor, spec) -> torch.Tensor:
    """x: integer codes (any shape) -> output codes from the table."""
    return table(spec)[x.to(torch.int64) + (1 << (spec.in_bits - 1))]


def activation_float_codes(x: torch.Tensor, spec) -> torch.Tensor:
    """f(x) in output LSBs as float64 (what the bench's atol compares against, rounded to a code)."""
    return float_fn(spec, x.to(torch.float64) / (1 << spec.in_frac)) * (1 << spec.out_frac)
