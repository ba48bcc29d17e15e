"""FifoSpec: a ready/valid first-in first-out buffer of ``depth`` entries."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from accelsmith.spec import StreamSpec, register_spec, stream_ports


@register_spec
class FifoSpec(StreamSpec):
    """Beats on ``in_data`` leave on ``out_data`` unchanged and in order. The FIFO holds up to ``depth``
    beats: in_ready is high whenever it is not full; out_valid is high whenever it is not empty.
    """

    kind: ClassVar[str] = "fifo"

    width: int = Field(8, ge=1, le=64, description="data width in bits")
    depth: int = Field(4, ge=2, le=256, description="entries")

    def summary(self) -> str:
        return f"fifo {self.depth} x {self.width} bits"

    def ports(self) -> dict:
        return stream_ports({"data": (1, self.width, False)}, {"data": (1, self.width, False)})
