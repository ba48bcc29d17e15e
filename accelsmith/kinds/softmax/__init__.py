"""Softmax: the spec and its golden model."""

from accelsmith.kinds.softmax.spec import SoftmaxSpec
from accelsmith.kinds.softmax.model import rounded_float_codes, softmax_float_codes, softmax_golden

__all__ = ["SoftmaxSpec", "rounded_float_codes", "softmax_float_codes", "softmax_golden"]
