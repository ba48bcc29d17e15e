"""Ready/valid FIFO: spec (``FifoSpec``) and golden model (``fifo_golden``); no template yet."""

from accelsmith.kinds.fifo.spec import FifoSpec
from accelsmith.kinds.fifo.model import fifo_golden

__all__ = ["FifoSpec", "fifo_golden"]
