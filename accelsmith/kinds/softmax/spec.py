"""SoftmaxSpec: softmax over a vector of L int logits -> unsigned fixed-point probabilities."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from accelsmith.kinds.softmax.model import GUARD_BITS, LOG2E_BITS, bound_check
from accelsmith.spec import Rate, VectorSpec, check_error_bound, register_spec


@register_spec
class SoftmaxSpec(VectorSpec):
    """p_i = exp(x_i) / sum_j exp(x_j) for one vector of ``length`` logits per job.

    Logits are signed ``in_bits`` codes with value code / 2**in_frac (Q(in_bits-in_frac).in_frac);
    probabilities are unsigned ``out_bits`` codes with value code / 2**out_frac (out_frac = out_bits
    is Q0.out_bits: p near 1 clamps to the largest code). Algorithm: running max while loading,
    e_i = 2^-(d_i log2 e) with d_i = max - x_i split into an integer shift and an ``exp_table_bits``
    fraction table (entries with ``exp_bits`` fraction bits), sum, reciprocal of the sum by restoring
    division (out_frac + 5 iterations), p_i = round(e_i * recip). Bit accurate: ``softmax_golden``.

    Interface: ``length / lanes`` input beats (lane i at ``[i*in_bits +: in_bits]``) then, after the
    sum and the division, ``length / lanes`` output beats. Both streams are II=1 while streaming.
    ``vectors_in_flight`` vector buffers let job n+1 load while earlier jobs sum, divide or drain (1: one
    job at a time); ``div_bits_per_cycle`` quotient bits per division cycle. A job alone takes
    ``job_cycles``; back to back, jobs start every ``interval_cycles`` (see ``rate``): one output beat per
    cycle once vectors_in_flight >= 3 + ceil(div_cycles / beats).

    ``max_abs_error`` (probability units) is checked by the validator on a deterministic dense sample
    of vectors with the bench's own criterion: |code - round(p_float * 2**out_frac)| <= atol, atol =
    floor(max_abs_error * 2**out_frac - 0.5), which implies |code / 2**out_frac - p_float| <= max_abs_error
    (p_float clamped to the output range).
    """

    kind: ClassVar[str] = "softmax"
    out_signed: ClassVar[bool] = False  # probabilities
    hash_since: ClassVar[tuple[str, ...]] = ("vectors_in_flight", "div_bits_per_cycle")
    # regression corners (accelsmith regress --tier fast|scale): widths, rounding, dataflow, sizes
    grid: ClassVar[dict[str, tuple[dict, ...]]] = {
        "fast": (
            {"name": "softmax_16x4_q3_4"},
            {"name": "softmax_12x1_q4_3", "length": 12, "lanes": 1, "in_frac": 3, "max_abs_error": 0.01},
            # 3 lanes (not a power of two), output wider than its fraction bits (no clamp), 5-bit exp table
            {"name": "softmax_12x3_q4_2", "length": 12, "lanes": 3, "in_bits": 6, "in_frac": 2, "out_bits": 10,
             "out_frac": 8, "exp_table_bits": 5, "max_abs_error": 0.01},
            # jobs overlap at one beat per cycle: 4 buffers, the 13-bit reciprocal in 4 cycles
            {"name": "softmax_16x4_full_rate", "vectors_in_flight": 4, "div_bits_per_cycle": 4},
            # 3 buffers of 12 one-lane beats, 2 quotient bits per cycle (7 division cycles)
            {"name": "softmax_12x1_3_in_flight", "length": 12, "lanes": 1, "in_frac": 3, "max_abs_error": 0.01,
             "vectors_in_flight": 3, "div_bits_per_cycle": 2},
        ),
        "scale": ({"name": "minilm_softmax_len128", "length": 128, "in_bits": 8},
                  {"name": "minilm_softmax_len128_full_rate", "length": 128, "in_bits": 8, "vectors_in_flight": 4}),
    }

    length: int = Field(16, ge=2, le=1024, description="elements per vector (L)")
    lanes: int = Field(4, ge=1, le=64, description="elements per beat; must divide length")
    in_bits: int = Field(8, ge=2, le=12, description="signed logit width")
    in_frac: int = Field(4, ge=0, le=10, description="logit fraction bits (scale 2**-in_frac)")
    out_bits: int = Field(8, ge=2, le=16, description="unsigned probability width")
    out_frac: int = Field(8, ge=1, le=16, description="probability fraction bits")
    exp_table_bits: int = Field(6, ge=2, le=10, description="fraction bits of the base-2 exponent table index")
    max_abs_error: float = Field(0.008, gt=0.0, description="stated |p - softmax_float| bound (probability units)")
    vectors_in_flight: int = Field(1, ge=1, le=8, description=(
        "vector buffers: jobs in the block at once (1: a job loads only after the previous one drained)"))
    div_bits_per_cycle: int = Field(1, ge=1, le=26, description="quotient bits of the reciprocal per cycle")

    @model_validator(mode="after")
    def _consistent(self) -> SoftmaxSpec:
        if self.out_frac > self.out_bits:
            raise ValueError(f"out_frac={self.out_frac!r} exceeds out_bits={self.out_bits!r}; "
                             "probabilities are unsigned Q(out_bits-out_frac).out_frac")
        if self.div_bits_per_cycle > self.div_iterations:
            raise ValueError(f"div_bits_per_cycle={self.div_bits_per_cycle!r} exceeds the division's "
                             f"{self.div_iterations} quotient bits (out_frac + {GUARD_BITS + 1})")
        check_error_bound(self, bound_check, self.atol, "; raise the bound or exp_table_bits")
        return self

    @property
    def exp_bits(self) -> int:
        """Fraction bits of e_i: enough that the floors of L small terms stay below 1/16 output LSB."""
        return self.out_frac + max(1, (self.length - 1).bit_length()) + 4

    @property
    def div_iterations(self) -> int:
        return self.out_frac + GUARD_BITS + 1

    @property
    def div_cycles(self) -> int:
        return -(-self.div_iterations // self.div_bits_per_cycle)

    @property
    def job_cycles(self) -> int:
        """Unstalled cycles from the first input beat to the last output beat of one vector: load, sum, divide,
        drain (the same for every job fed back to back: a job waits for a free buffer before its first beat)."""
        return 3 * self.beats + self.div_cycles

    @property
    def interval_cycles(self) -> float:
        """Steady-state cycles between job starts, back to back: a buffer is reused every ``job_cycles``."""
        return max(self.beats, self.job_cycles / self.vectors_in_flight)

    def full_rate_fields(self) -> dict[str, int]:
        """The fewest vector buffers (and quotient bits per cycle, so the division fits in one vector's beats)
        at which jobs start every ``beats`` cycles: one output beat per cycle, back to back."""
        u = -(-self.div_iterations // self.beats)
        div_cycles = -(-self.div_iterations // u)
        return {"vectors_in_flight": 3 + -(-div_cycles // self.beats), "div_bits_per_cycle": u}

    @property
    def table_ports(self) -> int:
        """Exp-table lookups per lane: the sum and the output stages share one when a single job is in flight."""
        return 2 if self.vectors_in_flight > 1 else 1

    @property
    def rate(self) -> Rate:
        return Rate(ii_cycles=self.interval_cycles, first_job_cycles=self.job_cycles)

    def summary(self) -> str:
        return (f"L={self.length} {self.lanes} lanes Q{self.in_bits - self.in_frac}.{self.in_frac} -> "
                f"uQ{self.out_bits - self.out_frac}.{self.out_frac} table 2^{self.exp_table_bits} "
                f"err<={self.max_abs_error}"
                + (f", {self.vectors_in_flight} in flight" if self.vectors_in_flight > 1 else "")
                + (f", {self.div_bits_per_cycle} quotient bits/cycle" if self.div_bits_per_cycle > 1 else ""))
