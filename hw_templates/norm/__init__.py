"""LayerNorm / RMSNorm: spec (``NormSpec``), Verilog (``norm.v``), golden model (``norm_golden``)."""

from accelsmith.hw_templates.norm._spec import NormSpec
from accelsmith.hw_templates.norm._template import NormTemplate
from accelsmith.hw_templates.norm.model import norm_float_codes, norm_golden, rounded_float_codes

__all__ = ["NormSpec", "NormTemplate", "norm_float_codes", "norm_golden", "rounded_float_codes"]
