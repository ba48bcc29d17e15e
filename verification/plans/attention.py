"""Stimulus for AttentionSpec: random jobs, softmax corners, back-pressure; expected from the golden model.

Every case but one is bit exact against the integer golden model (which the spec validator and the
tests hold to ``max_abs_error`` of float attention); ``float_bound`` compares with float attention
rounded to a code, atol = ceil(max_abs_error - 0.5), i.e. |rtl - float| <= atol + 0.5.
"""

from __future__ import annotations

import math

import torch

from accelsmith.hw_templates.attention import AttentionSpec, attention_float, attention_golden
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import TestCase, TestPlan
from accelsmith.verification.plans._common import build_plan, with_schedule


def job_beats(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> list[dict]:
    """q: (N, D), k, v: (N, S, D) -> per job a q beat (b unused: zeros) then one beat per key."""
    beats = []
    for n in range(q.shape[0]):
        beats.append({"a": q[n].tolist(), "b": [0] * q.shape[1]})
        beats += [{"a": k[n, j].tolist(), "b": v[n, j].tolist()} for j in range(k.shape[1])]
    return beats


def job_cycles(spec: AttentionSpec) -> int:
    """Cycles per job at full rate: q beat + seq_len keys; latency adds one bank and 8 divider steps."""
    return 1 + spec.seq_len


def job_latency_cycles(spec: AttentionSpec) -> int:
    """One job alone, no bubbles or stalls: q beat and seq_len keys, one bank of drain, 9 cycles of the divider."""
    return 1 + spec.seq_len + spec.kv_block + 9


def _case(spec: AttentionSpec, name: str, q, k, v, *, bubbles: float, stalls: float, tags: list[str],
          expected: torch.Tensor | None = None, atol: int = 0) -> TestCase:
    y = attention_golden(q, k, v, spec) if expected is None else expected
    jobs = q.shape[0]
    slow = 1.0 / ((1.0 - bubbles) * (1.0 - stalls))
    timeout = int(jobs * (job_cycles(spec) + spec.kv_block + 12) * slow * 4) + 200
    if "perf" in tags:  # full rate is part of the contract: at most one bank stall per job, one drain, 16 trailing
        timeout = jobs * (job_cycles(spec) + 1) + spec.kv_block + 12 + 16 + 2
    return TestCase(name=name, inputs=job_beats(q, k, v), expected=[{"data": r} for r in y.tolist()],
                    in_bubble_prob=bubbles, out_stall_prob=stalls, atol=atol, jobs=jobs, timeout_cycles=timeout,
                    tags=tags)


@register_deriver("attention")
def derive_attention(spec: AttentionSpec) -> TestPlan:
    g = torch.Generator().manual_seed(spec.seed)
    D, S = spec.head_dim, spec.seq_len

    def rand(*shape: int, lo: int = -128, hi: int = 127) -> torch.Tensor:
        return torch.randint(lo, hi + 1, shape, generator=g, dtype=torch.int64)

    def full(value: int, *shape: int) -> torch.Tensor:
        return torch.full(shape, value, dtype=torch.int64)

    # keys aligned with q in proportion to a ramp: the max grows in every block, hardest at the end
    ramp = torch.tensor([round(-128 + 255 * j / max(1, S - 1)) for j in range(S)], dtype=torch.int64)
    late_k = ramp[None, :, None].expand(1, S, D).clone()
    # one key aligned with q, the rest against it: a single dominant probability (placed mid-sequence)
    dom_k = full(-100, 1, S, D)
    dom_k[0, S // 2] = 127
    qf, kf, vf = rand(3, D), rand(3, S, D), rand(3, S, D)
    y_float = attention_float(qf, kf, vf, spec)
    y_round = (torch.sign(y_float) * torch.floor(y_float.abs() + 0.5)).to(torch.int64)  # ties away from zero
    cases = [
        _case(spec, "random", rand(4, D), rand(4, S, D), rand(4, S, D), bubbles=0.3, stalls=0.3, tags=["random"]),
        _case(spec, "random_heavy_backpressure", rand(3, D), rand(3, S, D), rand(3, S, D), bubbles=0.1, stalls=0.85,
              tags=["random", "backpressure"]),
        _case(spec, "all_equal_scores", full(0, 2, D), rand(2, S, D), rand(2, S, D), bubbles=0.0, stalls=0.2,
              tags=["corner"]),
        _case(spec, "one_dominant_key", full(127, 1, D), dom_k, rand(1, S, D), bubbles=0.2, stalls=0.0,
              tags=["corner"]),
        _case(spec, "max_grows_late", torch.cat([full(127, 1, D), full(-128, 1, D)]),
              torch.cat([late_k, (-late_k).clamp(max=127)]), rand(2, S, D), bubbles=0.0, stalls=0.0,
              tags=["corner", "rescale"]),
        _case(spec, "negative_extremes", full(-128, 2, D), torch.cat([full(-128, 1, S, D), full(127, 1, S, D)]),
              full(-128, 2, S, D), bubbles=0.0, stalls=0.5, tags=["corner"]),
        _case(spec, "positive_extremes", full(-128, 1, D), full(-128, 1, S, D), full(127, 1, S, D), bubbles=0.0,
              stalls=0.0, tags=["corner"]),
        _case(spec, "float_bound", qf, kf, vf, bubbles=0.1, stalls=0.1, tags=["float"], expected=y_round,
              atol=math.ceil(spec.max_abs_error - 0.5 - 1e-9)),
        _case(spec, "throughput", rand(6, D), rand(6, S, D), rand(6, S, D), bubbles=0.0, stalls=0.0, tags=["perf"]),
    ]
    # jobs back to back can wait a cycle on a bank (partial last block), so only lone jobs are held to it
    return build_plan(spec, with_schedule(cases, job_latency_cycles(spec), single_job_only=True),
                      ideal_job_cycles=job_cycles(spec), coverage={
        "rescale_when_max_grows": S > spec.kv_block,
        "partial_last_block": S % spec.kv_block != 0,
        "backpressure": True,
        "operand_extremes": True,
    })
