"""ReLU/clamp vector unit: spec (``ClampSpec``) and golden model (``clamp_golden``); no template yet."""

from accelsmith.kinds.clamp.spec import ClampSpec
from accelsmith.kinds.clamp.model import clamp_golden

__all__ = ["ClampSpec", "clamp_golden"]
