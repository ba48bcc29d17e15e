"""AddSpec: the residual (element-wise) add of a transformer block, y = a + b per lane, saturated or wrapped to
the output width; its golden model ``add_golden``."""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from pydantic import Field, model_validator

from accelsmith.spec import BlockSpec, Rate, register_spec, stream_ports, value_range


@register_spec
class AddSpec(BlockSpec):
    """Each input beat carries ``lanes`` values on ``in_a`` and ``lanes`` on ``in_b`` (``in_bits`` wide, same
    signedness); the matching output beat carries, per lane, y = a + b on ``out_y`` (``out_bits`` wide): with
    ``overflow: saturate`` a sum outside the output range becomes its nearest end, with ``wrap`` it keeps its low
    ``out_bits`` bits. One output beat per input beat; one register stage, so one beat per cycle.
    """

    kind: ClassVar[str] = "add"
    beat_function: ClassVar[bool] = True  # each output beat from its own input beat (see BlockSpec)
    lane_function: ClassVar[bool] = True  # and each output lane from its own input lanes
    grid: ClassVar[dict[str, tuple[dict, ...]]] = {
        "fast": (
            {"name": "add_int8_sat"},
            {"name": "add_uint4_wrap_3lane", "lanes": 3, "in_bits": 4, "out_bits": 4, "signed": False,
             "overflow": "wrap"},
            {"name": "add_int8_to_int9", "lanes": 4, "out_bits": 9},  # wide enough: never saturates
            {"name": "add_uint6_sat_2lane", "lanes": 2, "in_bits": 6, "out_bits": 6, "signed": False},  # clamps to 63
        ),
        # all-MiniLM-L6-v2's residual stream: hidden 384 as 32 lanes of int8 per beat
        "scale": ({"name": "minilm_residual_add_32l", "lanes": 32},),
    }

    lanes: int = Field(8, ge=1, le=64, description="values per beat on each operand")
    in_bits: int = Field(8, ge=2, le=32, description="operand width in bits")
    out_bits: int = Field(8, ge=2, le=33, description="sum width in bits")
    signed: bool = Field(True, description="operands and sum are two's complement")
    overflow: Literal["saturate", "wrap"] = Field("saturate", description="a sum outside the output range")

    @model_validator(mode="after")
    def _widths(self) -> AddSpec:
        if self.out_bits > self.in_bits + 1:
            raise ValueError(f"out_bits {self.out_bits} is more than in_bits + 1 = {self.in_bits + 1}: "
                             f"the extra bits would only repeat the sign")
        return self

    def summary(self) -> str:
        t = "int" if self.signed else "uint"
        return f"add {self.lanes} x {t}{self.in_bits} -> {t}{self.out_bits} {self.overflow}"

    @property
    def design_units(self) -> int:
        return self.lanes

    @property
    def rate(self) -> Rate:
        """II = 1: one beat per cycle; a beat's sum is offered the cycle after it was accepted."""
        return Rate(ii_cycles=1, first_job_cycles=2)

    def ports(self) -> dict:
        w = (self.lanes, self.in_bits, self.signed)
        return stream_ports({"a": w, "b": w}, {"y": (self.lanes, self.out_bits, self.signed)})


def add_golden(a: torch.Tensor, b: torch.Tensor, spec: AddSpec) -> torch.Tensor:
    """y = a + b per element, saturated or wrapped to ``spec.out_bits`` (int64 in, int64 out)."""
    s = a.to(torch.int64) + b.to(torch.int64)
    lo, hi = value_range(spec.out_bits, spec.signed)
    if spec.overflow == "saturate":
        return s.clamp(lo, hi)
    s = s & ((1 << spec.out_bits) - 1)
    return torch.where(s > hi, s - (1 << spec.out_bits), s) if spec.signed else s
