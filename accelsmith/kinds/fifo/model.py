"""Golden model of the FIFO: the output stream is the input stream."""

from __future__ import annotations

from accelsmith.kinds.fifo.spec import FifoSpec


def fifo_golden(beats: list[int], spec: FifoSpec) -> list[int]:
    mask = (1 << spec.width) - 1
    return [b & mask for b in beats]
