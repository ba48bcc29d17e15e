"""LayerNorm / RMSNorm: the spec and its golden model."""

from accelsmith.kinds.norm.model import NEWTON_STEPS, RSQRT_BITS, norm_float_codes, norm_golden, rounded_float_codes
from accelsmith.kinds.norm.spec import NormSpec

__all__ = ["NEWTON_STEPS", "RSQRT_BITS", "NormSpec", "norm_float_codes", "norm_golden", "rounded_float_codes"]
