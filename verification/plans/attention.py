"""Stimulus for AttentionSpec: random jobs, softmax corners, back-pressure; expected from the golden model.

Every case but one is bit exact against the integer golden model (which the spec validator and the
tests hold to ``max_abs_error`` of float attention); ``float_bound`` compares with float attention
rounded to a code, atol = ceil(max_abs_error - 0.5), i.e. |rtl - float| <= atol + 0.5.
"""

from __future__ import annotations

import math

import torch

from accelsmith.kinds.attention import AttentionSpec, attention_float, attention_golden
from accelsmith.kinds.attention.model import exp2q
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import TestCase, TestPlan
from accelsmith.verification.plans._common import build_plan, with_schedule


def job_beats(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> list[dict]:
    """q: (N, R, D), k, v: (N, S, D) -> per job R q beats (b unused: zeros) then one beat per key."""
    beats = []
    for n in range(q.shape[0]):
        beats += [{"a": row.tolist(), "b": [0] * q.shape[-1]} for row in q[n]]
        beats += [{"a": k[n, j].tolist(), "b": v[n, j].tolist()} for j in range(k.shape[1])]
    return beats


def query_tiles(spec: AttentionSpec, q: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """q: (N, D), one constructed query per job -> (N, R, D): that query in row 0 and, for R > 1, the other rows
    drawn to differ from it: its negation (the opposite scores: another row's max and rescales), an extreme
    row, then uniform random rows."""
    R = spec.query_rows
    if R == 1:
        return q[:, None, :]
    rows = [q, (-q).clamp(-128, 127), torch.where(torch.rand(q.shape, generator=g) < 0.5, -128, 127)]
    rows += [torch.randint(-128, 128, q.shape, generator=g) for _ in range(R - 3)]
    return torch.stack(rows[:R], dim=1)


def tile_golden(spec: AttentionSpec, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, fn=attention_golden):
    """(N, R, D) query tiles over (N, S, D) keys/values -> (N * R, D): every row attends the job's keys."""
    R = q.shape[1]
    return fn(q.reshape(-1, q.shape[-1]), k.repeat_interleave(R, 0), v.repeat_interleave(R, 0), spec)


def job_cycles(spec: AttentionSpec) -> int:
    """Cycles per job at full rate: R q beats + seq_len keys; latency adds one bank, 8 divider steps, R outputs."""
    return spec.query_rows + spec.seq_len


def job_latency_cycles(spec: AttentionSpec) -> int:
    """One job alone, no bubbles or stalls (``AttentionSpec.job_latency_cycles``)."""
    return spec.job_latency_cycles


def _tile_case(spec: AttentionSpec, name: str, q, k, v, *, bubbles: float, stalls: float, tags: list[str],
          g: torch.Generator, float_atol: int | None = None) -> TestCase:
    """q (N, D): one constructed query per job, widened to the spec's query rows (``query_tiles``); expected from
    the golden model, or (``float_atol``) float attention rounded to a code."""
    q = query_tiles(spec, q, g)
    if float_atol is None:
        y, atol = tile_golden(spec, q, k, v), 0
    else:
        y_float = tile_golden(spec, q, k, v, attention_float)
        y, atol = (torch.sign(y_float) * torch.floor(y_float.abs() + 0.5)).to(torch.int64), float_atol  # ties away
    jobs = q.shape[0]
    slow = 1.0 / ((1.0 - bubbles) * (1.0 - stalls))
    timeout = int(jobs * (job_cycles(spec) + spec.kv_block + 12 + spec.query_rows) * slow * 4) + 200
    if "perf" in tags:  # full rate is part of the contract: at most one bank stall per job, one drain, 16 trailing
        timeout = jobs * (job_cycles(spec) + 1) + spec.kv_block + 12 + spec.query_rows + 16 + 2
    return TestCase(name=name, inputs=job_beats(q, k, v), expected=[{"data": r} for r in y.tolist()],
                    in_bubble_prob=bubbles, out_stall_prob=stalls, atol=atol, jobs=jobs, timeout_cycles=timeout,
                    tags=tags)


def _solve_lane(p: tuple[int, int, int], n2: int, target: int) -> tuple[int, int, int] | None:
    """int8 v0, v1 and W in [-128 n2, 127 n2] with p0 v0 + p1 v1 + p2 W = target (None if there are none)."""
    v = torch.arange(-128, 128, dtype=torch.int64)
    r = target - p[0] * v[:, None] - p[1] * v[None, :]
    w = torch.div(r, p[2], rounding_mode="floor") if n2 else torch.zeros_like(r)
    ok = (w * p[2] == r) & (w >= -128 * n2) & (w <= 127 * n2)
    hits = ok.flatten().nonzero()
    if len(hits) == 0:
        return None
    i = int(hits[len(hits) // 2])
    return int(v[i // 256]), int(v[i % 256]), int(w.flatten()[i])


def below_half_job(spec: AttentionSpec, g: torch.Generator):
    """One job whose lanes sit one numerator step below a rounding boundary: 2|o| + l = 2 l n - 1, so
    y = +-(n - 1) while a numerator one larger, or a denominator one smaller, gives +-n. Key 0 has the top
    score (q-aligned extremes), so no block rescales and o = sum p_j v_j, l = sum p_j exactly; key 1 and
    keys 2.. (one shared k) take probabilities p1, p2 from the golden exp2q, with l odd; v is solved per lane.
    None when the spec admits no such job (seq_len 1, or no solution in the draws)."""
    D, S = spec.head_dim, spec.seq_len
    if S < 2:
        return None
    n2 = S - 2
    for _ in range(32):
        q = torch.randint(-128, 128, (D,), generator=g)
        q[q == 0] = 1
        sg = torch.where(q > 0, 1, -1)
        k0 = torch.where(q > 0, 127, -128)
        k1 = k0 - sg * torch.randint(0, 48, (D,), generator=g)
        k2 = k0 - sg * torch.randint(0, 48, (D,), generator=g)
        s = torch.stack([(q * k0).sum(), (q * k1).sum(), (q * k2).sum()])
        p = tuple(int(x) for x in exp2q(s[0] - s, spec))
        lsum = p[0] + p[1] + n2 * p[2]
        if p[1] == 0 or (n2 and p[2] == 0) or lsum % 2 == 0:
            continue
        v = torch.randint(-128, 128, (S, D), generator=g)
        lane = 0
        for n in (45, -45, 90, -90, 7, -7, 120, -120, 60, -60, 20, -20, 100, -100, 33, -33)[:2 * D]:
            sol = _solve_lane(p, n2, (1 if n > 0 else -1) * (lsum * abs(n) - (lsum + 1) // 2))
            if sol is None:
                continue
            if lane == D:
                break
            v[0, lane], v[1, lane] = sol[0], sol[1]
            if n2:
                base, rem = divmod(sol[2], n2)
                v[2:, lane] = torch.tensor([base + (j < rem) for j in range(n2)])
            lane += 1
        if lane:
            return q[None], torch.stack([k0, k1] + [k2] * n2)[None], v[None]
    return None


def half_job(spec: AttentionSpec, g: torch.Generator):
    """One job whose lanes are exact halves: keys in pairs of one k (equal scores, equal p), the pair's v in a
    lane a and a + 1, so o / l = a + 1/2 exactly (rounds away from zero); lane 0 takes a = -128: o / l = -127.5,
    y = -128, the one quotient of 128. The first pair is q-aligned (no rescale); an odd last key is scored
    lowest."""
    D, S = spec.head_dim, spec.seq_len
    if S < 2:
        return None
    sg = torch.randint(0, 2, (D,), generator=g) * 2 - 1
    q = sg * 127  # extreme q: the widest score range, so an odd last key can flush to p = 0
    k0 = torch.where(q > 0, 127, -128)
    k = torch.stack([k0 - sg * torch.randint(0, 48, (D,), generator=g) * (j > 0) for j in range(S // 2)])
    k = k.repeat_interleave(2, 0)
    a = torch.randint(-128, 127, (D,), generator=g)
    a[0] = -128
    v = (a[None, :] + torch.arange(S // 2 * 2)[:, None] % 2).to(torch.int64)
    if S % 2:  # exact only where this key's p is 0 (the spec's scale reaches a full flush), else near a half
        k = torch.cat([k, (-k0).clamp(-128, 127)[None]])
        v = torch.cat([v, torch.randint(-128, 128, (1, D), generator=g)])
    return q[None], k[None], v[None]


@register_deriver(AttentionSpec)
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

    def _case(*a, **kw):
        return _tile_case(spec, *a, g=g, **kw)

    cases = [
        _case("random", rand(4, D), rand(4, S, D), rand(4, S, D), bubbles=0.3, stalls=0.3, tags=["random"]),
        _case("random_heavy_backpressure", rand(3, D), rand(3, S, D), rand(3, S, D), bubbles=0.1, stalls=0.85,
              tags=["random", "backpressure"]),
        _case("all_equal_scores", full(0, 2, D), rand(2, S, D), rand(2, S, D), bubbles=0.0, stalls=0.2,
              tags=["corner"]),
        _case("one_dominant_key", full(127, 1, D), dom_k, rand(1, S, D), bubbles=0.2, stalls=0.0,
              tags=["corner"]),
        _case("max_grows_late", torch.cat([full(127, 1, D), full(-128, 1, D)]),
              torch.cat([late_k, (-late_k).clamp(max=127)]), rand(2, S, D), bubbles=0.0, stalls=0.0,
              tags=["corner", "rescale"]),
        _case("negative_extremes", full(-128, 2, D), torch.cat([full(-128, 1, S, D), full(127, 1, S, D)]),
              full(-128, 2, S, D), bubbles=0.0, stalls=0.5, tags=["corner"]),
        _case("positive_extremes", full(-128, 1, D), full(-128, 1, S, D), full(127, 1, S, D), bubbles=0.0,
              stalls=0.0, tags=["corner"]),
        _case("float_bound", qf, kf, vf, bubbles=0.1, stalls=0.1, tags=["float"],
              float_atol=math.ceil(spec.max_abs_error - 0.5 - 1e-9)),
        _case("throughput", rand(6, D), rand(6, S, D), rand(6, S, D), bubbles=0.0, stalls=0.0, tags=["perf"]),
        # first job after reset with every score below 0 (q = 127, keys negative, distinct): the running max must
        # start from the first block's max, not from any reset value
        _case("negative_scores_first", full(127, 1, D), -rand(1, S, D, lo=1, hi=128), rand(1, S, D),
              bubbles=0.0, stalls=0.0, tags=["corner"]),
    ]
    rounding = [j for j in (below_half_job(spec, g), half_job(spec, g)) if j is not None]
    if rounding:  # rounding boundaries of y = round(o / l): one numerator step below a half, exact halves, -127.5
        cases.append(_case("rounding_boundaries", *(torch.cat(t) for t in zip(*rounding)), bubbles=0.0,
                           stalls=0.3, tags=["corner", "rounding"]))
    # jobs back to back can wait a cycle on a bank (partial last block), so only lone jobs are held to it
    return build_plan(spec, with_schedule(cases, job_latency_cycles(spec), single_job_only=True),
                      ideal_job_cycles=job_cycles(spec), coverage={
        "rescale_when_max_grows": S > spec.kv_block,
        "partial_last_block": S % spec.kv_block != 0,
        "backpressure": True,
        "operand_extremes": True,
    })
