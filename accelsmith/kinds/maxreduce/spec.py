"""MaxReduceSpec: the maximum of ``lanes`` values per beat (softmax's first pass)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from accelsmith.spec import StreamSpec, register_spec, stream_ports


@register_spec
class MaxReduceSpec(StreamSpec):
    """Each input beat carries ``lanes`` values on ``in_x``; the matching output beat carries their
    maximum on ``out_max`` (one lane, same width and signedness). One output beat per input beat, in order.
    """

    kind: ClassVar[str] = "maxreduce"
    beat_function: ClassVar[bool] = True  # each output beat from its own input beat (see BlockSpec)

    lanes: int = Field(8, ge=2, le=64, description="values reduced per beat")
    bits: int = Field(8, ge=2, le=32, description="value width in bits")
    signed: bool = Field(True, description="values are two's complement")

    def summary(self) -> str:
        return f"max of {self.lanes} x {'int' if self.signed else 'uint'}{self.bits}"

    def ports(self) -> dict:
        return stream_ports({"x": (self.lanes, self.bits, self.signed)}, {"max": (1, self.bits, self.signed)})
