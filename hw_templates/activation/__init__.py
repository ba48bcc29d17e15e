"""GELU/SiLU/tanh activation: spec (``ActivationSpec``), Verilog (``activation.v`` + a generated table), model."""

from accelsmith.hw_templates.activation._spec import ActivationSpec
from accelsmith.hw_templates.activation._template import ActivationTemplate
from accelsmith.hw_templates.activation.model import activation_float_codes, activation_golden

__all__ = ["ActivationSpec", "ActivationTemplate", "activation_float_codes", "activation_golden"]
