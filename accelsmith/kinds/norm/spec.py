"""NormSpec: LayerNorm or RMSNorm over a hidden vector of H int codes, per-element gamma (and beta)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from accelsmith.kinds.norm.model import NEWTON_STEPS, RSQRT_BITS, bound_check
from accelsmith.spec import Rate, VectorSpec, check_error_bound, register_spec


@register_spec
class NormSpec(VectorSpec):
    """y = (x - mean) / sqrt(var + eps) * gamma + beta (layernorm) or x / sqrt(mean(x^2) + eps) * gamma (rmsnorm).

    x: signed ``in_bits`` codes, value code / 2**in_frac; y: signed ``out_bits`` codes, value code /
    2**out_frac, rounded half up and clamped. gamma: signed ``gamma_bits`` codes / 2**gamma_frac, one
    per element (or one for all); beta: output codes. Integer algorithm (bit accurate in
    ``norm_golden``): one pass accumulates S1 = sum x and S2 = sum x^2 while the vector is buffered;
    V = H*S2 - S1^2 + E (rmsnorm: H*S2 + E) with E = round(eps * 4**in_frac * H**2); V = m * 4**k with
    m in [1, 4) at 16 fraction bits; rsqrt(m) from a 6-entry seed and two Newton steps; then
    y_i = round((H*x_i - S1) * rsqrt(m) * gamma_i / 2**(16 + k + gamma_frac - out_frac)) + beta_i.

    Interface: ``hidden / lanes`` input beats, 2 + Newton-step statistics cycles, ``hidden / lanes`` output
    beats, II=1 on both streams. ``vectors_in_flight`` vector buffers let job n+1 load while earlier jobs are
    normalised or drained (1: one job at a time; more needs hidden / lanes >= the statistics cycles). A job
    alone takes ``job_cycles``; back to back, jobs start every ``interval_cycles`` (see ``rate``): one output
    beat per cycle once vectors_in_flight >= 2 + ceil(statistics cycles / beats).

    ``max_abs_error`` (real output units) is checked by the validator on a dense deterministic sample with the
    bench's criterion |y - round(y_float)| <= atol, atol = floor(max_abs_error * 2**out_frac - 0.5) LSB, y_float
    clamped to the output range.
    """

    kind: ClassVar[str] = "norm"
    hash_since: ClassVar[tuple[str, ...]] = ("vectors_in_flight",)
    length_field: ClassVar[str] = "hidden"
    # regression corners (accelsmith regress --tier fast|scale): widths, rounding, dataflow, sizes
    grid: ClassVar[dict[str, tuple[dict, ...]]] = {
        "fast": (
            {"name": "layernorm_16x4"},
            {"name": "layernorm_384x4", "hidden": 384},  # all-MiniLM-L6-v2's hidden size: sums wider than x*x
            {"name": "rmsnorm_12x3_gamma", "norm": "rmsnorm", "hidden": 12, "lanes": 3, "out_frac": 4,
             "gamma": [100, -50, 64, 20, 1, 127, -128, 64, 64, 64, 3, 90], "max_abs_error": 0.1},
            # per-element gamma and non-zero beta (beta's sign, saturation, gamma/beta widths)
            {"name": "layernorm_8x2_affine", "hidden": 8, "lanes": 2, "out_frac": 5,
             "gamma": [64, 100, -64, 20, 127, -128, 48, 1], "beta": [0, 5, -7, 100, -100, 1, -1, 33],
             "max_abs_error": 0.1},
            # rmsnorm, power-of-two H in one beat: the top bits of S2 and V
            {"name": "rmsnorm_4x4_nb1", "norm": "rmsnorm", "hidden": 4, "lanes": 4, "out_frac": 4,
             "gamma": [127, -128, 64, -1], "max_abs_error": 0.1},
            # H not a power of two in one beat: the top bits of S1 and S1^2; 6-bit outputs, signed gamma and beta
            {"name": "layernorm_6x6_nb1", "hidden": 6, "lanes": 6, "out_bits": 6, "out_frac": 3, "gamma_bits": 7,
             "gamma_frac": 5, "gamma": [63, -64, 32, 17, -5, 40], "beta": [0, 3, -4, 31, -32, 1], "max_abs_error": 0.1},
            # H = 2 with eps = 0.25: V = 2 < 4 is reachable (the leading-one search's default)
            {"name": "layernorm_2x1_small_v", "hidden": 2, "lanes": 1, "in_bits": 4, "in_frac": 0, "out_frac": 5,
             "gamma": [64], "beta": [-3], "eps": 0.25, "max_abs_error": 0.05},
            # jobs overlap at one beat per cycle: 3 buffers of 4 beats around the 4 statistics cycles
            {"name": "layernorm_16x4_full_rate", "vectors_in_flight": 3},
            # rmsnorm, 2 buffers of 4 beats: too few for full rate (a buffer is reused every 12 cycles)
            {"name": "rmsnorm_12x3_2_in_flight", "norm": "rmsnorm", "hidden": 12, "lanes": 3, "out_frac": 4,
             "gamma": [100, -50, 64, 20, 1, 127, -128, 64, 64, 64, 3, 90], "max_abs_error": 0.1,
             "vectors_in_flight": 2},
        ),
    }

    norm: Literal["layernorm", "rmsnorm"] = Field("layernorm", description="statistic removed")
    hidden: int = Field(16, ge=2, le=4096, description="elements per vector (H)")
    lanes: int = Field(4, ge=1, le=64, description="elements per beat; must divide hidden")
    in_bits: int = Field(8, ge=2, le=16, description="signed input width")
    in_frac: int = Field(4, ge=0, le=14, description="input fraction bits")
    out_bits: int = Field(8, ge=2, le=16, description="signed output width")
    out_frac: int = Field(5, ge=0, le=14, description="output fraction bits")
    gamma_bits: int = Field(8, ge=2, le=16, description="signed gamma width")
    gamma_frac: int = Field(6, ge=0, le=14, description="gamma fraction bits")
    gamma: list[int] = Field([64], min_length=1, description="per-element gamma codes (one entry: shared)")
    beta: list[int] = Field([0], min_length=1, description="per-element beta in output codes (rmsnorm: 0)")
    eps: float = Field(2.0 ** -8, gt=0.0, description="variance epsilon (real units)")
    max_abs_error: float = Field(0.05, gt=0.0, description="stated |y - y_float| bound (real output units)")
    vectors_in_flight: int = Field(1, ge=1, le=8, description=(
        "vector buffers: jobs in the block at once (1: a job loads only after the previous one drained)"))

    @model_validator(mode="after")
    def _consistent(self) -> NormSpec:
        for name, vals, bits in (("gamma", self.gamma, self.gamma_bits), ("beta", self.beta, self.out_bits)):
            if len(vals) not in (1, self.hidden):
                raise ValueError(f"{name} has {len(vals)} entries; give 1 or hidden={self.hidden}")
            bad = [v for v in vals if not -(1 << (bits - 1)) <= v < 1 << (bits - 1)]
            if bad:
                raise ValueError(f"{name} entry {bad[0]!r} does not fit {bits} signed bits")
        if self.norm == "rmsnorm" and any(self.beta):
            raise ValueError(f"rmsnorm has no beta; got beta={self.beta!r}")
        if self.vectors_in_flight > 1 and self.beats < self.stat_cycles:
            raise ValueError(f"vectors_in_flight={self.vectors_in_flight!r} needs at least {self.stat_cycles} beats "
                             f"per vector (the statistics' cycles); hidden/lanes = {self.beats}: use fewer lanes "
                             "or vectors_in_flight=1")
        check_error_bound(self, bound_check, self.atol)
        return self

    @property
    def eps_codes(self) -> int:
        """E = round(eps * 4**in_frac * H**2), at least 1 so V > 0."""
        return max(1, round(self.eps * (1 << (2 * self.in_frac)) * self.hidden ** 2))

    def per_element(self, vals: list[int]) -> list[int]:
        return vals * self.hidden if len(vals) == 1 else list(vals)

    @property
    def stat_cycles(self) -> int:
        """Cycles of the statistics between a vector's last input beat and its first output beat: V, normalise,
        Newton steps."""
        return 2 + NEWTON_STEPS

    @property
    def job_cycles(self) -> int:
        """Unstalled cycles from the first input beat to the last output beat (load, statistics, out); the same
        for every job fed back to back (a job waits for a free buffer before its first beat)."""
        return 2 * self.beats + self.stat_cycles

    @property
    def interval_cycles(self) -> float:
        """Steady-state cycles between job starts, back to back: a buffer is reused every ``job_cycles``."""
        return max(self.beats, self.job_cycles / self.vectors_in_flight)

    def full_rate_fields(self) -> dict[str, int]:
        """The fewest vector buffers at which jobs start every ``beats`` cycles (one output beat per cycle, back to
        back); one buffer when a vector is shorter than the statistics (no overlap possible)."""
        if self.beats < self.stat_cycles:
            return {"vectors_in_flight": 1}
        return {"vectors_in_flight": 2 + -(-self.stat_cycles // self.beats)}

    @property
    def rate(self) -> Rate:
        return Rate(ii_cycles=self.interval_cycles, first_job_cycles=self.job_cycles)

    def summary(self) -> str:
        return (f"{self.norm} H={self.hidden} {self.lanes} lanes Q{self.in_bits - self.in_frac}.{self.in_frac} -> "
                f"Q{self.out_bits - self.out_frac}.{self.out_frac} err<={self.max_abs_error}"
                + (f", {self.vectors_in_flight} in flight" if self.vectors_in_flight > 1 else ""))
