"""Bit allocation under a budget: HAWQ-V3's integer program solved exactly by multiple-choice knapsack DP."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accelsmith.model_opt._errors import BudgetError

_MAX_STATES = 60_000


@dataclass(frozen=True)
class Unit:
    """One allocation unit (a channel group, layer or block): its weight count and error per width."""

    key: str
    numel: int
    error: dict[int, float]


def allocate_bits(units: list[Unit], budget_bits: int) -> dict[str, int]:
    """Minimise sum(error) subject to sum(numel * bits) <= budget_bits; exact up to cost rounding.

    Costs are counted in quanta of gcd(numel); if that leaves too many states the quantum grows and
    costs round up, so the answer stays within budget.
    """
    if not units:
        return {}
    widths = sorted(units[0].error)
    floor = sum(u.numel * widths[0] for u in units)
    if floor > budget_bits:
        raise BudgetError(f"budget of {budget_bits!r} bits is below the all-{widths[0]}-bit size {floor}")
    quantum = math.gcd(*[u.numel for u in units])
    while budget_bits // quantum > _MAX_STATES:
        quantum *= 2
    cap = budget_bits // quantum
    inf = float("inf")
    dp = np.full(cap + 1, inf)
    dp[0] = 0.0
    choice = np.zeros((len(units), cap + 1), dtype=np.int8)
    for i, u in enumerate(units):
        new = np.full(cap + 1, inf)
        for j, b in enumerate(widths):
            cost = math.ceil(u.numel * b / quantum)
            if cost > cap:
                continue
            cand = np.full(cap + 1, inf)
            cand[cost:] = dp[: cap + 1 - cost] + u.error[b]
            better = cand < new
            new[better] = cand[better]
            choice[i, better] = j
        dp = new
    c = int(np.argmin(dp))
    if not np.isfinite(dp[c]):
        raise BudgetError(f"budget of {budget_bits!r} bits fits no allocation")
    out = {}
    for i in range(len(units) - 1, -1, -1):
        b = widths[choice[i, c]]
        out[units[i].key] = b
        c -= math.ceil(units[i].numel * b / quantum)
    return out
