"""GemmEpilogueSpec: a GEMM with its epilogue fused on chip -- requantisation of the accumulators and, optionally,
the activation -- so the wide accumulators never leave the block; its golden model is the composition of the three
kinds' golden models (``gemm_epilogue_golden``)."""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field, model_validator

from accelsmith.kinds.activation import ActivationSpec, activation_golden
from accelsmith.kinds.gemm import GemmSpec, gemm_golden
from accelsmith.kinds.requant import RequantSpec, requant_golden
from accelsmith.spec import BlockSpec, Rate, register_spec, stream_ports

# int8 4x4 K=16: accumulators within about +-65k for random operands map onto int8 by 2**-9 (m / 2**s = 0.002)
_DEFAULT_GEMM = {"rows": 4, "cols": 4, "k": 16}
_DEFAULT_REQUANT = {"lanes": 4, "multipliers": [1099511628], "shifts": [39]}
_DEFAULT_ACT = {"lanes": 4, "function": "gelu", "in_bits": 8, "in_frac": 5, "out_bits": 8, "out_frac": 5}


@register_spec
class GemmEpilogueSpec(BlockSpec):
    """C = A x B as the ``gemm`` spec states it (operand beats on ``in_a`` / ``in_b``, one result row per output
    beat, row 0 first), then every row requantised per output column by the ``requant`` spec (its lanes are the
    GEMM's columns, its input width the accumulator width; one multiplier/shift or one per column) and, when
    ``activation`` is set, every requantised code passed through that activation (its lanes the GEMM's columns,
    its input width the requantiser's output width). Output beat r carries row r of the result on ``out_y``
    (``cols`` signed lanes). The stages stream into each other through ready/valid with no buffer between them,
    so the block keeps the GEMM's rate and adds the requantiser's and activation's register stages to its latency.
    """

    kind: ClassVar[str] = "gemm_epilogue"
    grid: ClassVar[dict[str, tuple[dict, ...]]] = {
        "fast": (
            {"name": "gemm_requant_gelu_4x4"},
            # per-column multipliers, nearest rounding, no activation: GEMM + requant alone
            {"name": "gemm_requant_3x2_per_col", "gemm": {"rows": 3, "cols": 2, "k": 5, "acc_bits": 24},
             "requant": {"lanes": 2, "in_bits": 24, "multipliers": [1 << 26, 3 << 24], "shifts": [30, 31],
                         "rounding": "nearest", "zero_point": -2}, "activation": None},
            {"name": "gemm_ws_requant_silu_4x3", "gemm": {"rows": 4, "cols": 3, "k": 10,
                                                          "dataflow": "weight_stationary"},
             "requant": {"lanes": 3, "multipliers": [1 << 30], "shifts": [39]},
             "activation": {"lanes": 3, "function": "silu", "in_frac": 4, "out_frac": 4}},
        ),
        # all-MiniLM-L6-v2's FFN up-projection tile: K = 384, GELU, on the 16 x 16 array
        "scale": ({"name": "minilm_ffn_up_16x16_gelu", "gemm": {"rows": 16, "cols": 16, "k": 384, "acc_bits": 32},
                   "requant": {"lanes": 16, "multipliers": [1 << 30], "shifts": [42]},
                   "activation": {"lanes": 16, "function": "gelu"}},),
    }

    gemm: GemmSpec = Field(default_factory=lambda: GemmSpec(**_DEFAULT_GEMM), description="the GEMM stage")
    requant: RequantSpec = Field(default_factory=lambda: RequantSpec(**_DEFAULT_REQUANT),
                                 description="the requantiser on every result row")
    activation: ActivationSpec | None = Field(default_factory=lambda: ActivationSpec(**_DEFAULT_ACT),
                                              description="the activation after requantisation (unset: none)")

    @model_validator(mode="after")
    def _stages_fit(self) -> GemmEpilogueSpec:
        g, q, a = self.gemm, self.requant, self.activation
        if not g.signed:
            raise ValueError("the requantiser reads signed accumulators: gemm.signed must be true")
        if q.lanes != g.cols or q.in_bits != g.acc_bits:
            raise ValueError(f"requant must take one result row: lanes {g.cols} and in_bits {g.acc_bits} "
                             f"(gemm cols, acc_bits); got lanes {q.lanes}, in_bits {q.in_bits}")
        if q.groups != 1:
            raise ValueError(f"requant has {q.channels} channels; a result row has {g.cols} columns: give 1 or {g.cols}")
        if a is not None and (a.lanes != g.cols or a.in_bits != q.out_bits):
            raise ValueError(f"activation must take a requantised row: lanes {g.cols} and in_bits {q.out_bits}; "
                             f"got lanes {a.lanes}, in_bits {a.in_bits}")
        return self

    @property
    def stages(self) -> tuple[BlockSpec, ...]:
        """The specs in stream order."""
        return (self.gemm, self.requant) + ((self.activation,) if self.activation is not None else ())

    @property
    def out_bits(self) -> int:
        return self.activation.out_bits if self.activation is not None else self.requant.out_bits

    @property
    def epilogue_cycles(self) -> int:
        """Register stages behind the GEMM: the requantiser's and the activation's."""
        return self.requant.latency_cycles + (self.activation.latency_cycles if self.activation is not None else 0)

    # size, beats and ideal cycles are the GEMM's: the epilogue streams behind it
    design_units = property(lambda self: self.gemm.design_units)
    size_label = property(lambda self: self.gemm.size_label)
    beats_per_job = property(lambda self: self.gemm.beats_per_job)
    ideal_job_cycles = property(lambda self: self.gemm.ideal_job_cycles)

    @property
    def rate(self) -> Rate:
        """The GEMM's interval; the first job later by the epilogue's register stages."""
        r = self.gemm.rate
        return Rate(ii_cycles=r.ii_cycles, first_job_cycles=r.first_job_cycles + self.epilogue_cycles)

    def summary(self) -> str:
        act = f" -> {self.activation.function}" if self.activation is not None else ""
        return f"{self.gemm.summary()} -> requant int{self.requant.out_bits}{act}"

    def ports(self) -> dict:
        g = self.gemm
        return stream_ports({"a": (g.rows, g.in_bits, True), "b": (g.cols, g.in_bits, True)},
                            {"y": (g.cols, self.out_bits, True)})


def epilogue_golden(c: torch.Tensor, spec: GemmEpilogueSpec) -> torch.Tensor:
    """Accumulator rows (beats, cols) -> output codes (beats, cols): requantised, then the activation if any."""
    y = requant_golden(c.reshape(-1, spec.gemm.cols), spec.requant)
    return activation_golden(y, spec.activation) if spec.activation is not None else y


def gemm_epilogue_golden(a: torch.Tensor, b: torch.Tensor, spec: GemmEpilogueSpec) -> torch.Tensor:
    """a: (J, R, K), b: (J, K, C) -> (J, R, C): the three golden models composed."""
    c = gemm_golden(a, b, spec.gemm)
    return epilogue_golden(c, spec).reshape(c.shape)
