"""Softmax: the Verilog template (the spec and golden model live in ``accelsmith.kinds.softmax``)."""

from accelsmith.hw_templates.softmax._template import SoftmaxTemplate

__all__ = ["SoftmaxTemplate"]
