"""Requantiser: the Verilog template (the spec and golden model live in ``accelsmith.kinds.requant``)."""

from accelsmith.hw_templates.requant._template import RequantTemplate

__all__ = ["RequantTemplate"]
