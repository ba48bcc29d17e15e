"""AttentionSpec: one query row attends over seq_len streamed keys/values through a kv_block-key buffer."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from accelsmith.spec import BlockSpec, Rate, register_spec, stream_ports


@register_spec
class AttentionSpec(BlockSpec):
    """y = softmax(q.K^T * q_scale * k_scale / sqrt(head_dim)) . V, int8 q/K/V codes, int8 y in V's codes.

    Interface (ready/valid both ways): a job is 1 + seq_len input beats with two fields of head_dim
    signed int8 lanes, ``a`` (``in_a``) and ``b`` (``in_b``): beat 0 carries q on ``a`` (``b`` ignored),
    beat 1+j carries k_j on ``a`` and v_j on ``b``. One output beat per job: head_dim int8 lanes on
    ``out_data``. Keys are scored as they arrive into one of two banks of kv_block entries (score and
    v); the other bank is consumed by the online softmax, so seq_len may exceed the buffer.
    """

    kind: ClassVar[str] = "attention"
    # regression corners (accelsmith regress --tier fast|scale): widths, rounding, dataflow, sizes
    grid: ClassVar[dict[str, tuple[dict, ...]]] = {
        "fast": (
            {"name": "attention_d4_s7_b2", "head_dim": 4, "kv_block": 2, "seq_len": 7},
            # prob_bits 12: table entries not a power of two wide; kv_block 8, seq_len a multiple of it
            {"name": "attention_d4_s16_b8_p12", "head_dim": 4, "kv_block": 8, "seq_len": 16, "prob_bits": 12},
        ),
        "scale": ({"name": "minilm_attention_d32_s128", "head_dim": 32, "seq_len": 128},),
    }

    head_dim: int = Field(8, ge=1, le=64, description="D: lanes of q, k, v and y")
    kv_block: int = Field(4, ge=2, le=64, description="B: keys per buffer bank (two banks), a power of two")
    seq_len: int = Field(16, ge=1, le=4096, description="keys per job (any length; not limited by B)")
    q_scale: float = Field(0.02, gt=0.0, le=1.0, description="real value of one q code")
    k_scale: float = Field(0.02, gt=0.0, le=1.0, description="real value of one k code")
    exp_frac_bits: int = Field(6, ge=2, le=10, description="fraction bits of the base-2 exponent (table of 2^n)")
    prob_bits: int = Field(15, ge=8, le=20, description="probability codes are <= 2^prob_bits")
    max_abs_error: float = Field(1.0, ge=0.5, description="stated |y - float attention| bound, in V codes")
    max_buffer_bytes: int = Field(4096, ge=1, description="on-chip buffer budget; buffer_bytes must fit")

    @model_validator(mode="after")
    def _fits(self) -> AttentionSpec:
        from accelsmith.kinds.attention.model import exp_constants, sampled_error

        if self.kv_block & (self.kv_block - 1):
            raise ValueError(f"kv_block={self.kv_block!r} must be a power of two (banks are addressed by bits)")
        # each rescale can move o/l off 128:1 by 64 codes; below 2^(prob_bits-1) the 8-bit quotient holds
        rescales = -(-self.seq_len // self.kv_block) - 1
        if rescales >= 1 << (self.prob_bits - 8):
            raise ValueError(f"seq_len/kv_block allows {rescales} rescales; prob_bits={self.prob_bits} supports "
                             f"fewer than {1 << (self.prob_bits - 8)}: raise prob_bits or kv_block")
        if self.buffer_bytes > self.max_buffer_bytes:
            raise ValueError(f"buffer_bytes={self.buffer_bytes} (2 banks x kv_block={self.kv_block} x "
                             f"{self.entry_bits} bits) exceeds max_buffer_bytes={self.max_buffer_bytes}")
        mult, sh = exp_constants(self)
        if sh > 48:
            raise ValueError(f"q_scale*k_scale={self.q_scale * self.k_scale!r} is too small: the exponent "
                             f"multiplier would need a shift of {sh} (> 48)")
        err = sampled_error(self)
        if err > self.max_abs_error:
            raise ValueError(f"sampled error vs float attention is {err:.3f} codes; max_abs_error="
                             f"{self.max_abs_error} cannot be met: raise exp_frac_bits or prob_bits")
        return self

    @property
    def entry_bits(self) -> int:
        from accelsmith.kinds.attention.model import score_bits

        return 8 * self.head_dim + score_bits(self)

    @property
    def job_latency_cycles(self) -> int:
        """One job alone, no bubbles or stalls: q beat and seq_len keys, one bank of drain, 9 cycles of the divider
        (an upper bound: a short last bank drains sooner)."""
        return 1 + self.seq_len + self.kv_block + 9

    @property
    def rate(self) -> Rate:
        """Jobs overlap: the next q and keys stream in while the last bank drains and the divider runs. A job takes
        its 1 + seq_len beats, at least the whole banks it fills, and at least the divider's 9 cycles."""
        ii = max(1 + self.seq_len, -(-self.seq_len // self.kv_block) * self.kv_block, 9)
        return Rate(ii_cycles=ii, first_job_cycles=self.job_latency_cycles)

    @property
    def buffer_bytes(self) -> int:
        """Two banks of kv_block (v row + score) entries, in whole bytes."""
        return -(-2 * self.kv_block * self.entry_bits // 8)

    @property
    def design_units(self) -> int:
        return self.head_dim * 4 + self.head_dim * self.kv_block // 4  # q.k and p.v lanes plus the key/value banks

    @property
    def size_label(self) -> str:
        return f"D {self.head_dim}, S {self.seq_len}, kv block {self.kv_block}"

    def summary(self) -> str:
        return (f"D={self.head_dim} S={self.seq_len} B={self.kv_block} int8 q/k/v scales {self.q_scale:g}/"
                f"{self.k_scale:g} exp2 Q.{self.exp_frac_bits} p<=2^{self.prob_bits} buffer {self.buffer_bytes} B "
                f"err<={self.max_abs_error}")

    @property
    def beats_per_job(self) -> int:
        return self.seq_len + 2  # q, then (k, v) per key, then y

    def ports(self) -> dict[str, dict]:
        lanes = (self.head_dim, 8, True)
        return stream_ports({"a": lanes, "b": lanes}, {"data": lanes})
