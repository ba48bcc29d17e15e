"""Golden models of the attention tile: the RTL's integer algorithm, bit for bit, and float attention.

Integer algorithm (per job: one query row q, seq_len keys/values, processed in blocks of kv_block):
scores s_j = q.k_j (exact integers); per block the running max m grows to max(m, block max); every
probability is p = exp2q(m - s_j) with exp2q(d) = T[frac(u)] >> int(u), u = round(d * MULT / 2^SH)
(d scaled to base-2 exponent units with exp_frac_bits fraction bits; T[f] = round(2^(prob_bits - f/2^EF)));
o and l are rescaled by alpha = exp2q(m_new - m_old) (floored, >> prob_bits) when the block begins, then
o += p*v, l += p; the output is round(o / l) (half away from zero), saturated to int8, in V's codes.
"""

from __future__ import annotations

import math

import torch

LOG2E = 1.0 / math.log(2.0)


def score_scale(spec) -> float:
    """Real logit per unit of the integer score q.k: q_scale * k_scale / sqrt(head_dim)."""
    return spec.q_scale * spec.k_scale / math.sqrt(spec.head_dim)


def exp_constants(spec) -> tuple[int, int]:
    """(MULT, SH): u = round(d * MULT / 2^SH) is d's base-2 logit in units of 2^-exp_frac_bits; MULT has 16 bits."""
    c = score_scale(spec) * LOG2E * (1 << spec.exp_frac_bits)
    sh = max(1, 15 - math.floor(math.log2(c)))
    return round(c * (1 << sh)), sh


def exp_table(spec) -> list[int]:
    """T[f] = round(2^(prob_bits - f / 2^exp_frac_bits)); T[0] = 2^prob_bits."""
    n = 1 << spec.exp_frac_bits
    return [math.floor(2.0 ** (spec.prob_bits - f / n) + 0.5) for f in range(n)]


def score_bits(spec) -> int:
    """Signed width of q.k for int8 q, k: |q.k| <= head_dim * 128 * 128."""
    return (spec.head_dim << 14).bit_length() + 1


def l_bits(spec) -> int:
    """Width of the denominator l <= seq_len * 2^prob_bits (rescaling never grows it)."""
    return (spec.seq_len << spec.prob_bits).bit_length()


def shift_bits(spec) -> int:
    """Width of the exp shift: shifts of 2^this and more are flushed to zero (T has prob_bits+1 bits)."""
    return (spec.prob_bits + 1).bit_length()


def exp2q(d: torch.Tensor, spec) -> torch.Tensor:
    """d >= 0 (int64 score difference) -> probability code 2^prob_bits * 2^-(d * scale * log2 e), approximately."""
    mult, sh = exp_constants(spec)
    ef, sb = spec.exp_frac_bits, shift_bits(spec)
    u = (d * mult + (1 << (sh - 1))) >> sh
    ui, uf = u >> ef, u & ((1 << ef) - 1)
    t = torch.tensor(exp_table(spec), dtype=torch.int64)[uf]
    return torch.where(ui >= (1 << sb), torch.zeros_like(t), t >> ui.clamp(max=(1 << sb) - 1))


def _rescale(x: torch.Tensor, alpha: torch.Tensor, pb: int) -> torch.Tensor:
    return (x * alpha) >> pb  # floor (arithmetic shift): rounding would move y by < 2^-prob_bits of a code


def attention_accumulators(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, spec) -> tuple[torch.Tensor, torch.Tensor]:
    """q: (N, D), k and v: (N, S, D) int8 codes -> (o (N, D), l (N,)): the numerators and denominator that the
    RTL divides, y = round(o / l)."""
    q, k, v = (t.to(torch.int64) for t in (q, k, v))
    n, S = q.shape[0], k.shape[1]
    pb, B = spec.prob_bits, spec.kv_block
    s = (q[:, None, :] * k).sum(-1)  # (N, S)
    o = torch.zeros_like(q)
    l = torch.zeros(n, dtype=torch.int64)
    m = torch.zeros(n, dtype=torch.int64)
    for b0 in range(0, S, B):
        sb, vb = s[:, b0:b0 + B], v[:, b0:b0 + B]
        m_new = sb.max(1).values if b0 == 0 else torch.maximum(m, sb.max(1).values)
        if b0:
            alpha = exp2q(m_new - m, spec)
            o, l = _rescale(o, alpha[:, None], pb), _rescale(l, alpha, pb)
        p = exp2q(m_new[:, None] - sb, spec)  # (N, b)
        o = o + (p[:, :, None] * vb).sum(1)
        l = l + p.sum(1)
        m = m_new
    return o, l


def attention_golden(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, spec) -> torch.Tensor:
    """q: (N, D), k and v: (N, S, D) int8 codes -> (N, D) int8 codes, exactly as the RTL computes them."""
    o, l = attention_accumulators(q, k, v, spec)
    qt = (2 * o.abs() + l[:, None]) // (2 * l[:, None])
    y = torch.where(o < 0, -qt, qt) & 0xFF  # 8 quotient bits, negated in 8 bits: the RTL's output
    return torch.where(y > 127, y - 256, y)


def attention_float(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, spec) -> torch.Tensor:
    """softmax(q.k^T * q_scale * k_scale / sqrt(D)) . v in V's codes (float64): the reference for the bound."""
    s = (q.to(torch.float64)[:, None, :] * k.to(torch.float64)).sum(-1) * score_scale(spec)
    return (torch.softmax(s, dim=-1)[:, :, None] * v.to(torch.float64)).sum(1)


def sample_inputs(spec, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """n dense random jobs: uniform int8 q, k, v."""
    g = torch.Generator().manual_seed(seed)
    D, S = spec.head_dim, spec.seq_len
    return (torch.randint(-128, 128, (n, D), generator=g), torch.randint(-128, 128, (n, S, D), generator=g),
            torch.randint(-128, 128, (n, S, D), generator=g))


def sampled_error(spec, n: int | None = None, seed: int = 1) -> float:
    """max |golden - float| in V codes over n seeded random jobs (the spec validator's check; tests use more)."""
    n = n or max(16, min(256, (1 << 20) // (spec.seq_len * spec.head_dim)))  # a few MB of int64 at most
    q, k, v = sample_inputs(spec, n, seed)
    return float((attention_golden(q, k, v, spec) - attention_float(q, k, v, spec)).abs().max())
