"""ActivationSpec: elementwise GELU, SiLU or tanh on fixed-point lanes through a spec-computed table."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from accelsmith.spec import LaneSpec, Rate, register_spec


@register_spec
class ActivationSpec(LaneSpec):
    """y = f(x) for f in {gelu (erf form), silu, tanh}, x in signed Q(in_bits-in_frac).in_frac, y in Q(.).out_frac.

    Interface (ready/valid both ways, II=1, one register stage): ``in_data`` carries ``lanes`` signed
    ``in_bits`` values (lane i at ``[i*in_bits +: in_bits]``), ``out_data`` the same lanes as signed
    ``out_bits`` values. Every input code has a table entry rounded from the float function, so the
    error against float f, in output LSBs, is at most ``max_error_lsb`` (0.5 from rounding, plus
    clamping at the output range, which the validator checks cannot exceed the bound).
    """

    kind: ClassVar[str] = "activation"
    beat_function: ClassVar[bool] = True  # each output beat from its own input beat (see BlockSpec)
    lane_function: ClassVar[bool] = True  # and each output lane from its own input lanes
    # regression corners (accelsmith regress --tier fast|scale): widths, rounding, dataflow, sizes
    grid: ClassVar[dict[str, tuple[dict, ...]]] = {
        "scale": ({"name": "minilm_gelu", "function": "gelu", "in_bits": 8},),
    }

    function: Literal["gelu", "silu", "tanh"] = Field("gelu", description="activation function")
    lanes: int = Field(4, ge=1, le=64, description="elements per beat")
    in_bits: int = Field(8, ge=2, le=10, description="signed input width (table has 2**in_bits entries)")
    in_frac: int = Field(5, ge=0, le=12, description="input fraction bits")
    out_bits: int = Field(8, ge=2, le=16, description="signed output width")
    out_frac: int = Field(5, ge=0, le=14, description="output fraction bits")
    max_error_lsb: float = Field(0.5, ge=0.5, description="stated |y - f(x)| bound vs float, in output LSBs")

    @model_validator(mode="after")
    def _bound_holds(self) -> ActivationSpec:
        from accelsmith.kinds.activation.model import table_error_lsb

        err = table_error_lsb(self)
        if err > self.max_error_lsb + 1e-9:
            raise ValueError(f"the table's error vs float {self.function} is {err:.3f} LSB (output range clamps); "
                             f"max_error_lsb={self.max_error_lsb} cannot be met: widen out_bits or lower out_frac")
        return self

    @property
    def size_label(self) -> str:
        return f"{self.lanes} lanes, {2 ** self.in_bits}-entry table"

    def summary(self) -> str:
        return (f"{self.function} {self.lanes} lanes Q{self.in_bits - self.in_frac}.{self.in_frac} -> "
                f"Q{self.out_bits - self.out_frac}.{self.out_frac} err<={self.max_error_lsb} LSB")

    @property
    def latency_cycles(self) -> int:
        return 1

    @property
    def rate(self) -> Rate:
        """II = 1 beat (one element per lane) per cycle; a beat's result leaves the cycle after it is taken."""
        return Rate(ii_cycles=1, first_job_cycles=1 + self.latency_cycles)
