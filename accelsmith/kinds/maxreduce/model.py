"""Golden model of the max-reduction tree."""

from __future__ import annotations

import torch

from accelsmith.kinds.maxreduce.spec import MaxReduceSpec


def maxreduce_golden(x: torch.Tensor, spec: MaxReduceSpec) -> torch.Tensor:
    """x: (..., lanes) int64 in the spec's range -> (...,) int64."""
    return x.to(torch.int64).amax(-1)
