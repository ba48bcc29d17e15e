"""Golden model of the clamp unit."""

from __future__ import annotations

import torch

from accelsmith.kinds.clamp.spec import ClampSpec


def clamp_golden(x: torch.Tensor, spec: ClampSpec) -> torch.Tensor:
    return torch.clamp(x.to(torch.int64), spec.lo, spec.upper)
