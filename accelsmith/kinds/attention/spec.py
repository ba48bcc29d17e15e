"""AttentionSpec: query_rows query rows attend over seq_len streamed keys/values through a kv_block-key buffer."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from pydantic import Field, model_validator

from accelsmith.spec import BlockSpec, Rate, register_spec, stream_ports


@register_spec
class AttentionSpec(BlockSpec):
    """y = softmax(q.K^T * q_scale * k_scale / sqrt(head_dim)) . V, int8 q/K/V codes, int8 y in V's codes.

    Interface (ready/valid both ways): a job is query_rows + seq_len input beats with two fields of head_dim
    signed int8 lanes, ``a`` (``in_a``) and ``b`` (``in_b``): beats 0..R-1 carry the query rows q_0..q_{R-1} on
    ``a`` (``b`` ignored), beat R+j carries k_j on ``a`` and v_j on ``b``. R output beats per job, row 0 first:
    head_dim int8 lanes on ``out_data``. Keys are scored against every row as they arrive into one of two banks
    of kv_block entries (R scores and v); the other bank is consumed by the online softmax of all R rows at once
    (FlashAttention's row tile: one pass over K/V serves R queries, the seq_len x seq_len scores never stored),
    so seq_len may exceed the buffer.

    Budgets: ``max_buffer_bytes`` (the two banks), ``max_kv_bytes_per_cycle`` (K/V read bandwidth: keys
    arrive at most that fast, so a pass takes at least 2 * head_dim * seq_len / budget cycles) and
    ``max_head_cycles`` (cycles for the seq_len queries of one head, ceil(seq_len / R) passes back to back,
    see ``head_cycles``); the validator rejects a configuration that cannot meet them.
    """

    kind: ClassVar[str] = "attention"
    hash_since: ClassVar[tuple[str, ...]] = ("query_rows", "max_kv_bytes_per_cycle", "max_head_cycles")
    # regression corners (accelsmith regress --tier fast|scale): widths, rounding, dataflow, sizes
    grid: ClassVar[dict[str, tuple[dict, ...]]] = {
        "fast": (
            {"name": "attention_d4_s7_b2", "head_dim": 4, "kv_block": 2, "seq_len": 7},
            # prob_bits 12: table entries not a power of two wide; kv_block 8, seq_len a multiple of it
            {"name": "attention_d4_s16_b8_p12", "head_dim": 4, "kv_block": 8, "seq_len": 16, "prob_bits": 12},
            # 3 query rows per pass, a partial last bank
            {"name": "attention_d4_s7_b2_r3", "head_dim": 4, "kv_block": 2, "seq_len": 7, "query_rows": 3},
        ),
        "scale": ({"name": "minilm_attention_d32_s128", "head_dim": 32, "seq_len": 128},
                  # MiniLM's heads, 8 query rows per pass over K/V (an eighth of the K/V traffic per query)
                  {"name": "minilm_attention_d32_s128_r8", "head_dim": 32, "seq_len": 128, "query_rows": 8}),
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
    query_rows: int = Field(1, ge=1, le=16, description="Br: query rows per job, sharing one pass over K/V")
    max_kv_bytes_per_cycle: float | None = Field(None, gt=0, description=(
        "K/V read bandwidth budget in bytes per cycle (None: one key and value per cycle)"))
    max_head_cycles: int | None = Field(None, ge=1, description=(
        "latency budget: cycles for the seq_len queries of one head (None: no budget)"))

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
        if self.max_head_cycles is not None and self.head_cycles > self.max_head_cycles:
            bw = ("" if self.max_kv_bytes_per_cycle is None
                  else f" with K/V at {self.max_kv_bytes_per_cycle:g} bytes/cycle")
            raise ValueError(f"one head takes {self.head_cycles} cycles ({self.passes} passes of {self.query_rows} "
                             f"query rows over {self.seq_len} keys{bw}); max_head_cycles={self.max_head_cycles} "
                             "cannot be met: raise query_rows, the bandwidth or the budget")
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

        return 8 * self.head_dim + self.query_rows * score_bits(self)

    @property
    def job_latency_cycles(self) -> int:
        """One job alone, no bubbles or stalls: R q beats and seq_len keys, one bank of drain, 8 divider steps and
        the R output beats (an upper bound: a short last bank drains sooner)."""
        return self.query_rows + self.seq_len + self.kv_block + 8 + self.query_rows

    @property
    def rate(self) -> Rate:
        """Jobs overlap: the next q rows and keys stream in while the last bank drains and the divider runs. A job
        takes its R + seq_len beats, at least the whole banks it fills, and at least the divider's 8 steps and R
        output beats."""
        ii = max(self.query_rows + self.seq_len, -(-self.seq_len // self.kv_block) * self.kv_block,
                 8 + self.query_rows)
        return Rate(ii_cycles=ii, first_job_cycles=self.job_latency_cycles)

    @property
    def key_cycles(self) -> int:
        """Cycles to stream one pass's keys and values: one per cycle, or slower under the bandwidth budget."""
        if self.max_kv_bytes_per_cycle is None:
            return self.seq_len
        return max(self.seq_len, math.ceil(self.kv_bytes_per_pass / self.max_kv_bytes_per_cycle - 1e-9))

    @property
    def kv_bytes_per_pass(self) -> int:
        return 2 * self.head_dim * self.seq_len

    @property
    def kv_bytes_per_query(self) -> float:
        """K and V bytes read per query row: one pass serves query_rows rows."""
        return self.kv_bytes_per_pass / self.query_rows

    @property
    def passes(self) -> int:
        """Jobs per head: seq_len queries (self-attention), query_rows per job."""
        return -(-self.seq_len // self.query_rows)

    @property
    def head_cycles(self) -> int:
        """Cycles for one head's seq_len queries, passes back to back, K/V at the budgeted rate: the first pass's
        latency, then one interval per further pass (``rate``, stretched by the key stream)."""
        return self.query_cycles(self.seq_len)

    def query_cycles(self, queries: int) -> int:
        """Cycles for ``queries`` query rows of one head over the seq_len keys (``head_cycles`` for self-attention;
        fewer rows when decoding): ceil(queries / query_rows) passes back to back."""
        slow = self.key_cycles - self.seq_len
        ii = max(self.rate.ii_cycles, self.query_rows + self.key_cycles)
        return self.job_latency_cycles + slow + (-(-queries // self.query_rows) - 1) * ii

    @property
    def buffer_bytes(self) -> int:
        """Two banks of kv_block (v row + R scores) entries, in whole bytes."""
        return -(-2 * self.kv_block * self.entry_bits // 8)

    @property
    def design_units(self) -> int:  # q.k and p.v lanes per row plus the key/value banks
        return self.head_dim * (2 + 2 * self.query_rows) + self.head_dim * self.kv_block // 4

    @property
    def size_label(self) -> str:
        return f"D {self.head_dim}, S {self.seq_len}, kv block {self.kv_block}"

    def summary(self) -> str:
        return (f"D={self.head_dim} S={self.seq_len} B={self.kv_block} int8 q/k/v scales {self.q_scale:g}/"
                f"{self.k_scale:g} exp2 Q.{self.exp_frac_bits} p<=2^{self.prob_bits} buffer {self.buffer_bytes} B "
                f"err<={self.max_abs_error}" + (f", {self.query_rows} query rows" if self.query_rows > 1 else ""))

    @property
    def beats_per_job(self) -> int:
        return self.seq_len + 2 * self.query_rows  # q rows, then (k, v) per key, then y rows

    def ports(self) -> dict[str, dict]:
        lanes = (self.head_dim, 8, True)
        return stream_ports({"a": lanes, "b": lanes}, {"data": lanes})


def attention_block(head_dim: int, seq_len: int, kv_bytes_per_cycle: float | None = None) -> dict[str, Any]:
    """Fields of the attention block for one head shape: kv_block the smallest power of two (at least 4) whose
    rescales the default probability width supports (ceil(seq_len / kv_block) - 1 < 128); under a K/V bandwidth
    budget that budget and Br = the fewest query rows per pass (1, 2, 4, 8, 16) for which the pass is not
    bandwidth-bound (its K/V stream, 2 * head_dim * seq_len bytes at that rate, takes no longer than the pass's
    Br + seq_len cycles), else the largest the spec accepts (buffer, error)."""
    block = 4
    while -(-seq_len // block) - 1 >= 128 and block < 64:
        block *= 2
    fields: dict[str, Any] = {"head_dim": head_dim, "seq_len": seq_len, "kv_block": block}
    if kv_bytes_per_cycle is None:
        return fields
    best = 1
    for br in (1, 2, 4, 8, 16):
        try:
            spec = AttentionSpec(**fields, query_rows=br, max_kv_bytes_per_cycle=kv_bytes_per_cycle)
        except ValueError:
            break
        best = br
        if spec.key_cycles <= br + seq_len:
            break
    return {**fields, "query_rows": best, "max_kv_bytes_per_cycle": kv_bytes_per_cycle}
