"""GELU/SiLU/tanh activation: the spec and its golden model."""

from accelsmith.kinds.activation.spec import ActivationSpec
from accelsmith.kinds.activation.model import activation_float_codes, activation_golden

__all__ = ["ActivationSpec", "activation_float_codes", "activation_golden"]
