"""Softmax: the spec and its golden model."""

from accelsmith.kinds.softmax.model import GUARD_BITS, LOG2E_BITS, rounded_float_codes, softmax_float_codes, softmax_golden
from accelsmith.kinds.softmax.spec import SoftmaxSpec

__all__ = ["GUARD_BITS", "LOG2E_BITS", "SoftmaxSpec", "rounded_float_codes", "softmax_float_codes", "softmax_golden"]
