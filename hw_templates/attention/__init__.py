"""Attention tile: spec (``AttentionSpec``), Verilog (``attention.v``), golden and float models."""

from accelsmith.hw_templates.attention._spec import AttentionSpec
from accelsmith.hw_templates.attention._template import AttentionTemplate
from accelsmith.hw_templates.attention.model import attention_float, attention_golden

__all__ = ["AttentionSpec", "AttentionTemplate", "attention_float", "attention_golden"]
