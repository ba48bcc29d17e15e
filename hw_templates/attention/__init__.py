"""Attention tile: the Verilog template (the spec and golden model live in ``accelsmith.kinds.attention``)."""

from accelsmith.hw_templates.attention._template import AttentionTemplate

__all__ = ["AttentionTemplate"]
