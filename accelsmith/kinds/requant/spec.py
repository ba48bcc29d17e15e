"""RequantSpec: int32 accumulators -> int8/int4 with a per-channel fixed-point multiplier and right shift."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from accelsmith.spec import LaneSpec, Rate, register_spec

MULT_BITS = 32  # multipliers are non-negative and fit a signed 32-bit word
SHIFT_BITS = 6  # shifts 0..62


@register_spec
class RequantSpec(LaneSpec):
    """y = clamp(round(x * multiplier[c] / 2**shift[c]) + zero_point) per element.

    Interface (ready/valid both ways, II=1): each input beat carries ``lanes`` signed ``in_bits``
    values on ``in_data`` (lane i at ``[i*in_bits +: in_bits]``); each output beat carries the same
    lanes as signed ``out_bits`` values on ``out_data``. Element channel: stream beats cycle through
    ``channels // lanes`` groups, so lane i of beat t has channel ``(t mod groups) * lanes + i``
    (one channel: every element uses multipliers[0]/shifts[0]). The beat counter restarts at reset.
    Rounding of the right shift: 'half_even' rounds ties to the even result, 'nearest' rounds ties
    towards +infinity (add 2**(shift-1), then arithmetic shift). With saturation, results clamp to
    [-2**(out_bits-1), 2**(out_bits-1)-1]; without, they wrap modulo 2**out_bits.
    """

    kind: ClassVar[str] = "requant"
    # regression corners (accelsmith regress --tier fast|scale): widths, rounding, dataflow, sizes
    grid: ClassVar[dict[str, tuple[dict, ...]]] = {
        "fast": (
            {"name": "requant_int8_default"},
            {"name": "requant_int4_per_channel_nearest", "lanes": 4, "multipliers": [3, 5, 7, 9, 11, 13, 1 << 20, 1],
             "shifts": [1, 2, 3, 0, 4, 5, 22, 8], "out_bits": 4, "in_bits": 16, "zero_point": -3, "rounding": "nearest"},
            {"name": "requant_wrap_3lane", "lanes": 3, "saturation": False, "zero_point": 5, "multipliers": [12345],
             "shifts": [9]},
        ),
        "scale": ({"name": "minilm_requant_32to8", "in_bits": 32, "out_bits": 8, "lanes": 32},),
    }

    lanes: int = Field(4, ge=1, le=64, description="elements per beat")
    in_bits: Literal[16, 24, 32] = Field(32, description="signed input (accumulator) width")
    out_bits: Literal[4, 8] = Field(8, description="signed output width")
    multipliers: list[int] = Field([1518500250], min_length=1, max_length=4096,
                                   description="per-channel multiplier, 0 <= m < 2**31 (one entry: per tensor)")
    shifts: list[int] = Field([38], min_length=1, max_length=4096, description="per-channel right shift, 0..62")
    zero_point: int = Field(0, description="added after rounding, within the output range")
    rounding: Literal["half_even", "nearest"] = Field("half_even", description="tie rule of the right shift")
    saturation: bool = Field(True, description="clamp to the output range (else wrap)")

    @model_validator(mode="after")
    def _consistent(self) -> RequantSpec:
        if len(self.multipliers) != len(self.shifts):
            raise ValueError(f"multipliers has {len(self.multipliers)} entries but shifts has {len(self.shifts)}; "
                             "give one pair per channel")
        n = len(self.multipliers)
        if n != 1 and n % self.lanes:
            raise ValueError(f"{n} channels do not fill whole beats of {self.lanes} lanes; "
                             f"allowed: 1 or a multiple of {self.lanes}")
        bad_m = [m for m in self.multipliers if not 0 <= m < 1 << (MULT_BITS - 1)]
        if bad_m:
            raise ValueError(f"multiplier {bad_m[0]} out of range; allowed: 0 <= m < 2**31")
        bad_s = [s for s in self.shifts if not 0 <= s <= 62]
        if bad_s:
            raise ValueError(f"shift {bad_s[0]} out of range; allowed: 0..62")
        lo, hi = self.out_range
        if not lo <= self.zero_point <= hi:
            raise ValueError(f"zero_point={self.zero_point} outside the int{self.out_bits} range [{lo}, {hi}]")
        return self

    @property
    def out_range(self) -> tuple[int, int]:
        return -(1 << (self.out_bits - 1)), (1 << (self.out_bits - 1)) - 1

    @property
    def channels(self) -> int:
        return len(self.multipliers)

    @property
    def groups(self) -> int:
        """Beats per full channel vector."""
        return 1 if self.channels == 1 else self.channels // self.lanes

    def lane_params(self) -> list[tuple[int, int]]:
        """(multiplier, shift) for channel g*lanes + i, expanded so every beat group has ``lanes`` entries."""
        if self.channels == 1:
            return [(self.multipliers[0], self.shifts[0])] * self.lanes
        return list(zip(self.multipliers, self.shifts))

    @property
    def latency_cycles(self) -> int:
        """Cycles from an accepted input beat to its output beat being valid (2 pipeline registers)."""
        return 2

    @property
    def lane_function(self) -> bool:
        return self.channels == 1  # per-channel parameters differ by lane

    @property
    def beat_function(self) -> bool:
        return self.groups == 1  # several channel groups: the beat counter is state

    @property
    def rate(self) -> Rate:
        """II = 1 beat per cycle; a job is one channel group sweep (``groups`` beats)."""
        return Rate(ii_cycles=self.groups, first_job_cycles=self.groups + self.latency_cycles)

    def lane_steps(self) -> str | None:
        if self.channels != 1:
            return None
        m, s = self.multipliers[0], self.shifts[0]
        pw = self.in_bits + MULT_BITS  # the product's width
        lo, hi = self.out_range
        steps = [f"1. p = in_data * {m}: a signed {pw}-bit product (extend in_data to {pw} bits first)."]
        if s == 0:
            steps.append("2. q = p (a shift of 0 needs no rounding).")
        elif self.rounding == "nearest":
            steps.append(f"2. q = (p + 2**{s - 1}) >>> {s}: add half, then an arithmetic right shift by {s}.")
        else:
            steps.append(f"2. f = p >>> {s} (arithmetic shift), r = p[{s - 1}:0] (the {s} bits shifted out), "
                         f"half = 2**{s - 1}; q = f + 1 when r > half, or when r == half and f is odd; else q = f.")
        steps.append(f"3. z = q + ({self.zero_point}).")
        if self.saturation:
            steps.append(f"4. out_data = {lo} when z < {lo}, {hi} when z > {hi}, else the low {self.out_bits} bits "
                         "of z.")
        else:
            steps.append(f"4. out_data = the low {self.out_bits} bits of z (wraps).")
        return "\n".join(steps)

    def summary(self) -> str:
        return (f"{self.lanes} lanes int{self.in_bits}->int{self.out_bits} {self.channels} ch "
                f"{self.rounding} {'sat' if self.saturation else 'wrap'} zp={self.zero_point}")
