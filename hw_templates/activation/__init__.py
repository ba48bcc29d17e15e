"""GELU/SiLU/tanh activation: the Verilog template (the spec and golden model live in ``accelsmith.kinds.activation``)."""

from accelsmith.hw_templates.activation._template import ActivationTemplate

__all__ = ["ActivationTemplate"]
