"""DotSpec: one dot product of two ``length``-lane vectors per input beat."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from accelsmith.spec import StreamSpec, register_spec, stream_ports


@register_spec
class DotSpec(StreamSpec):
    """Each input beat carries vectors a and b (``length`` lanes each); the matching output beat carries
    their dot product sum(a[i] * b[i]) on ``out_dot`` (one lane of ``out_bits``), wrapping modulo
    2^out_bits. One output beat per input beat, in order.
    """

    kind: ClassVar[str] = "dot"
    beat_function: ClassVar[bool] = True  # each output beat from its own input beat (see BlockSpec)

    length: int = Field(8, ge=1, le=64, description="vector length (lanes per operand)")
    in_bits: Literal[4, 8] = Field(8, description="operand width in bits")
    signed: bool = Field(True, description="operands and result are two's complement")
    out_bits: int = Field(32, ge=8, le=48, description="result width; the sum wraps modulo 2^out_bits")

    def summary(self) -> str:
        return f"dot L={self.length} {'int' if self.signed else 'uint'}{self.in_bits} -> {self.out_bits} bits"

    def ports(self) -> dict:
        s = self.signed
        return stream_ports({"a": (self.length, self.in_bits, s), "b": (self.length, self.in_bits, s)},
                            {"dot": (1, self.out_bits, s)})
