"""LayerNorm / RMSNorm: the spec and its golden model."""

from accelsmith.kinds.norm.spec import NormSpec
from accelsmith.kinds.norm.model import norm_float_codes, norm_golden, rounded_float_codes

__all__ = ["NormSpec", "norm_float_codes", "norm_golden", "rounded_float_codes"]
