"""Compression state carried on the model object, so later passes and the profiler see earlier ones."""

from __future__ import annotations

from typing import Any

from torch import nn

_ATTR = "_accelsmith_opt_state"


def opt_state(model: nn.Module) -> dict[str, Any]:
    """The model's mutable state dict: ``act_bits``, ``pruned`` (list of dicts), ``steps`` (names)."""
    state = model.__dict__.get(_ATTR)
    if state is None:
        state = {"act_bits": None, "pruned": [], "steps": [], "quant": {}}
        model.__dict__[_ATTR] = state
    return state


def dtype_bits(model: nn.Module) -> int:
    """Bits of the model's floating-point parameters (what unquantised operands cost)."""
    for p in model.parameters():
        if p.is_floating_point():
            return p.element_size() * 8
    return 32
