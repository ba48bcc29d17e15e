"""Ready/valid FIFO: spec (``FifoSpec``) and golden model (``fifo_golden``); no template yet."""

from accelsmith.hw_templates.fifo._spec import FifoSpec
from accelsmith.hw_templates.fifo.model import fifo_golden

__all__ = ["FifoSpec", "fifo_golden"]
