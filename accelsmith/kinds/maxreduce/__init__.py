"""Max-reduction tree: spec (``MaxReduceSpec``) and golden model (``maxreduce_golden``); no template yet."""

from accelsmith.kinds.maxreduce.spec import MaxReduceSpec
from accelsmith.kinds.maxreduce.model import maxreduce_golden

__all__ = ["MaxReduceSpec", "maxreduce_golden"]
