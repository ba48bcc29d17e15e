"""int8 dot-product unit: spec (``DotSpec``) and golden model (``dot_golden``); no template yet."""

from accelsmith.kinds.dot.spec import DotSpec
from accelsmith.kinds.dot.model import dot_golden

__all__ = ["DotSpec", "dot_golden"]
