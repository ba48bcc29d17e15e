"""Budgets: max iterations, max tokens and a wall-clock limit. Elapsed time is the sum of recorded node
seconds, so a resumed run keeps the clock it had when it was killed."""

from __future__ import annotations


def elapsed_s(cost: dict) -> float:
    return sum(v for k, v in (cost or {}).items() if k.startswith("seconds."))


def tokens_used(cost: dict) -> int:
    return int((cost or {}).get("tokens_in", 0)) + int((cost or {}).get("tokens_out", 0))


def exhausted(state: dict, cfg, *, before_draft: bool = True) -> str | None:
    """Why no further draft may start (None: the budget allows one); ``cfg`` is the run's ``RunConfig``."""
    cost = state.get("cost") or {}
    if before_draft and state.get("iteration", 0) >= cfg.max_iterations:
        return f"max_iterations={cfg.max_iterations} reached"
    max_tokens = cfg.max_tokens
    if max_tokens and tokens_used(cost) >= max_tokens:
        return f"max_tokens={max_tokens} reached ({tokens_used(cost)} used)"
    wall = cfg.wall_clock_s
    if wall and elapsed_s(cost) >= wall:
        return f"wall_clock_s={wall:g} reached ({elapsed_s(cost):.1f} s used)"
    return None
