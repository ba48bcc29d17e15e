"""Systolic GEMM: the spec and its golden model."""

from accelsmith.kinds.gemm.spec import GemmSpec
from accelsmith.kinds.gemm.model import gemm_golden

__all__ = ["GemmSpec", "gemm_golden"]
