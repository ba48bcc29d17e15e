"""ClampSpec: y = min(max(x, lo), hi) per lane; lo = 0 and hi = the top of the range is a ReLU."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from accelsmith.spec import StreamSpec, register_spec, stream_ports, value_range


@register_spec
class ClampSpec(StreamSpec):
    """Each input beat carries ``lanes`` values on ``in_x``; the matching output beat carries, per lane,
    y = min(max(x, lo), hi) on ``out_y`` (same width and signedness). One output beat per input beat.
    """

    kind: ClassVar[str] = "clamp"
    beat_function: ClassVar[bool] = True  # each output beat from its own input beat (see BlockSpec)
    lane_function: ClassVar[bool] = True  # and each output lane from its own input lanes

    lanes: int = Field(8, ge=1, le=64, description="values per beat")
    bits: int = Field(8, ge=2, le=32, description="value width in bits")
    signed: bool = Field(True, description="values are two's complement")
    lo: int = Field(0, description="lower bound (0: ReLU)")
    hi: int | None = Field(None, description="upper bound; None: the largest representable value")

    @model_validator(mode="after")
    def _bounds_fit(self) -> ClampSpec:
        vmin, vmax = self.value_range
        hi = self.upper
        if not (vmin <= self.lo <= vmax and vmin <= hi <= vmax and self.lo <= hi):
            raise ValueError(f"need {vmin} <= lo <= hi <= {vmax}; got lo={self.lo}, hi={hi}")
        return self

    @property
    def value_range(self) -> tuple[int, int]:
        return value_range(self.bits, self.signed)

    @property
    def upper(self) -> int:
        return self.value_range[1] if self.hi is None else self.hi

    def rtl_params(self) -> dict[str, int]:
        return {**super().rtl_params(), "hi": self.upper}  # unset: the top of the range

    def summary(self) -> str:
        return f"clamp {self.lanes} x {'int' if self.signed else 'uint'}{self.bits} to [{self.lo}, {self.upper}]"

    def ports(self) -> dict:
        return stream_ports({"x": (self.lanes, self.bits, self.signed)}, {"y": (self.lanes, self.bits, self.signed)})
