"""Systolic GEMM: the Verilog template (the spec and golden model live in ``accelsmith.kinds.gemm``)."""

from accelsmith.hw_templates.gemm._template import GemmTemplate

__all__ = ["GemmTemplate"]
