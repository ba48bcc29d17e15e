"""Per-iteration cost (seconds, tokens) and outcome, read from the run's graph checkpoints (read-only)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path


def _totals(cost: dict) -> tuple[float, int]:
    secs = sum(v for k, v in cost.items() if k.startswith("seconds.") and isinstance(v, (int, float)))
    return secs, int(cost.get("tokens_in", 0) or 0) + int(cost.get("tokens_out", 0) or 0)


def iteration_costs(folder: Path, run_id: str, problems: list[str]) -> dict[int, dict]:
    """{iteration: {seconds, tokens, passed}}; empty when the run has no readable checkpoints."""
    from accelsmith.review._load import inside

    path = folder / "checkpoints.sqlite"
    if not inside(path):
        return {}
    try:
        from langgraph.checkpoint.sqlite import SqliteSaver

        # mode=ro + immutable: reading checkpoints creates no tables, journals, -wal or -shm files in the run folder
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                                     check_same_thread=False)) as db:
            states = [c.checkpoint.get("channel_values", {})
                      for c in SqliteSaver(db).list({"configurable": {"thread_id": run_id}})]
    except Exception as err:  # a corrupt or foreign checkpoint file must not break the page
        problems.append(f"checkpoints.sqlite: unreadable ({type(err).__name__}: {err})")
        return {}
    cumulative: dict[int, tuple[float, int]] = {}
    passed: dict[int, bool] = {}
    for values in reversed(states):  # list() yields newest first
        it = values.get("iteration")
        if isinstance(it, int):
            cumulative[it] = _totals(values.get("cost") or {})
        for rec in values.get("history") or []:
            if isinstance(rec, dict) and isinstance(rec.get("iteration"), int):
                passed[rec["iteration"]] = bool(rec.get("passed"))
    out, prev = {}, (0.0, 0)
    for it in sorted(cumulative):
        secs, toks = cumulative[it]
        if it >= 1:  # iteration 0 is planning: its cost is folded into iteration 1
            out[it] = {"seconds": round(secs - prev[0], 3), "tokens": toks - prev[1], "passed": passed.get(it)}
            prev = (secs, toks)
    return out
