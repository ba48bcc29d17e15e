"""Softmax: spec (``SoftmaxSpec``), Verilog (``softmax.v`` + a generated exp table), golden model."""

from accelsmith.hw_templates.softmax._spec import SoftmaxSpec
from accelsmith.hw_templates.softmax._template import SoftmaxTemplate
from accelsmith.hw_templates.softmax.model import rounded_float_codes, softmax_float_codes, softmax_golden

__all__ = ["SoftmaxSpec", "SoftmaxTemplate", "rounded_float_codes", "softmax_float_codes", "softmax_golden"]
