"""ReLU/clamp vector unit: spec (``ClampSpec``) and golden model (``clamp_golden``); no template yet."""

from accelsmith.hw_templates.clamp._spec import ClampSpec
from accelsmith.hw_templates.clamp.model import clamp_golden

__all__ = ["ClampSpec", "clamp_golden"]
