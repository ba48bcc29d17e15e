"""Systolic GEMM: spec (``GemmSpec``), Verilog (``gemm_os.v``), golden model (``gemm_golden``)."""

from accelsmith.hw_templates.gemm._spec import GemmSpec
from accelsmith.hw_templates.gemm._template import GemmTemplate
from accelsmith.hw_templates.gemm.model import gemm_golden

__all__ = ["GemmSpec", "GemmTemplate", "gemm_golden"]
