"""Choose a systolic array shape and K tile for a set of GEMMs (output-stationary cost model).

For an R x C array with K tile Kt, GEMM g (M, N, K, count) takes
    jobs(g)   = count * ceil(M/R) * ceil(N/C) * ceil(K/Kt)
    cycles(g) = jobs(g) * (Kt + R + C - 2)        (GemmSpec.ideal_job_cycles; jobs do not overlap)
    utilisation = sum(M*N*K*count) / (R * C * sum(cycles))
so padding in every dimension and pipeline fill/drain both count as waste.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from accelsmith.model_opt._errors import BudgetError
from accelsmith.model_opt._profile import GemmOp


class ArrayChoice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int
    cols: int
    k_tile: int
    in_bits: int
    acc_bits: int
    utilisation: float
    cycles: int
    macs: int
    gemms: int
    buffer_bytes: int
    dataflow: str | None = None     # set when the dataflow search chose the array (``model_opt._dataflow``)
    search: dict | None = None      # its figures: engine, budgets, cycles, stalls, DRAM bytes, energy, per dataflow


def gemm_cycles(g: GemmOp, rows: int, cols: int, k_tile: int) -> int:
    """Cycles of ``g`` on the output-stationary array as its RTL streams jobs (GemmSpec.rate): every rows x cols x
    k_tile job back to back one interval apart, the first one's whole latency paid once."""
    from accelsmith.kinds.gemm import GemmSpec

    jobs = g.count * math.ceil(g.m / rows) * math.ceil(g.n / cols) * math.ceil(g.k / k_tile)
    rate = GemmSpec(rows=rows, cols=cols, k=k_tile).rate
    return rate.first_job_cycles + math.ceil((jobs - 1) * rate.ii_cycles)


def acc_bits_for(in_bits: int, k_tile: int) -> int:
    """Enough accumulator bits for k_tile signed products, rounded up to a multiple of 4 (max 48)."""
    need = 2 * in_bits + max(1, math.ceil(math.log2(k_tile)))
    return min(48, max(16, 4 * math.ceil(need / 4)))


def tile_buffer_bytes(rows: int, cols: int, k_tile: int, in_bits: int, acc_bits: int) -> int:
    """One job's A tile, B tile and output tile held on chip."""
    return math.ceil((rows + cols) * k_tile * in_bits / 8) + math.ceil(rows * cols * acc_bits / 8)


def _pow2_upto(limit: int) -> list[int]:
    return [1 << i for i in range(int(math.log2(limit)) + 1)]


def candidate_arrays(pe_budget: int, max_dim: int = 64, min_dim: int = 1) -> list[tuple[int, int]]:
    """Power-of-two R x C arrays that spend the largest power-of-two PE count within ``pe_budget``, both sides at
    least ``min_dim`` where any such array exists."""
    dims = _pow2_upto(max_dim)
    pes = max((r * c for r in dims for c in dims if r * c <= pe_budget), default=0)
    if pes == 0:
        raise BudgetError(f"PE budget {pe_budget!r} is below one processing element")
    arrays = [(r, pes // r) for r in dims if pes // r in dims]
    return [a for a in arrays if min(a) >= min_dim] or arrays


def best_k_tile(gemms: Sequence[GemmOp], in_bits: int, rows: int, cols: int, buffer_bytes: int,
                max_k: int = 65536) -> ArrayChoice | None:
    """The K tile with the best utilisation on an R x C array whose job tiles fit ``buffer_bytes``; among equals the
    longest (fewer partial sums leave the array to be added up outside)."""
    k_cands = sorted({k for k in _pow2_upto(max_k) if k >= 8} | {g.k for g in gemms if g.k <= max_k})
    k_cands = [k for k in k_cands if k <= max(g.k for g in gemms) * 2]
    macs = sum(g.macs for g in gemms)
    best: ArrayChoice | None = None
    for kt in k_cands:
        acc = acc_bits_for(in_bits, kt)
        buf = tile_buffer_bytes(rows, cols, kt, in_bits, acc)
        if buf > buffer_bytes:
            continue
        cycles = sum(gemm_cycles(g, rows, cols, kt) for g in gemms)
        util = macs / (rows * cols * cycles)
        if best is None or util >= best.utilisation:
            best = ArrayChoice(rows=rows, cols=cols, k_tile=kt, in_bits=in_bits, acc_bits=acc, utilisation=util,
                               cycles=cycles, macs=macs, gemms=len(gemms), buffer_bytes=buf)
    return best


def choose_array(gemms: Sequence[GemmOp], in_bits: int, pe_budget: int, buffer_bytes: int,
                 max_dim: int = 64, max_k: int = 65536) -> ArrayChoice:
    """Best utilisation among power-of-two R x C arrays that spend the PE budget and fit the buffer."""
    if not gemms:
        raise BudgetError("no GEMMs to size an array for")
    best: ArrayChoice | None = None
    for rows, cols in candidate_arrays(pe_budget, max_dim):
        cand = best_k_tile(gemms, in_bits, rows, cols, buffer_bytes, max_k)
        if cand is not None and (best is None or cand.utilisation > best.utilisation):
            best = cand
    if best is None:
        rows, cols = candidate_arrays(pe_budget, max_dim)[0]
        raise BudgetError(f"buffer budget {buffer_bytes!r} bytes cannot hold one tile of a {rows * cols}-PE array")
    return best
