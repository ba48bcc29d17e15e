"""Attention tile: the spec and its golden model."""

from accelsmith.kinds.attention.spec import AttentionSpec, attention_block
from accelsmith.kinds.attention.model import attention_float, attention_golden

__all__ = ["AttentionSpec", "attention_block", "attention_float", "attention_golden"]
