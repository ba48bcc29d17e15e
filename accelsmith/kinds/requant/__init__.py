"""Requantiser: the spec and its golden model."""

from accelsmith.kinds.requant.spec import RequantSpec
from accelsmith.kinds.requant.model import requant_golden

__all__ = ["RequantSpec", "requant_golden"]
