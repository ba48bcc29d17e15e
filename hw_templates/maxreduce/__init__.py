"""Max-reduction tree: spec (``MaxReduceSpec``) and golden model (``maxreduce_golden``); no template yet."""

from accelsmith.hw_templates.maxreduce._spec import MaxReduceSpec
from accelsmith.hw_templates.maxreduce.model import maxreduce_golden

__all__ = ["MaxReduceSpec", "maxreduce_golden"]
