"""LayerNorm / RMSNorm: the Verilog template (the spec and golden model live in ``accelsmith.kinds.norm``)."""

from accelsmith.hw_templates.norm._template import NormTemplate

__all__ = ["NormTemplate"]
