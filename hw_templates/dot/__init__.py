"""int8 dot-product unit: spec (``DotSpec``) and golden model (``dot_golden``); no template yet."""

from accelsmith.hw_templates.dot._spec import DotSpec
from accelsmith.hw_templates.dot.model import dot_golden

__all__ = ["DotSpec", "dot_golden"]
