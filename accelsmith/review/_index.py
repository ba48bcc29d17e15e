"""Read-only queries on the run index (runs.sqlite): the list page never walks run folders."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from accelsmith.runstore import RunRecord, RunStore

LIST_LIMIT = 2000


def _connect(root: Path) -> sqlite3.Connection | None:
    db_path = root / "runs.sqlite"
    if not db_path.is_file():
        return None
    # mode=ro: the review page must never create or change the store
    db = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, timeout=10)
    db.row_factory = sqlite3.Row
    return db


def list_runs(root: Path, status: str | None = None, kind: str | None = None,
              limit: int = LIST_LIMIT) -> list[RunRecord]:
    db = _connect(root)
    if db is None:
        return []
    sql, args = "SELECT * FROM runs WHERE 1=1", []
    if kind:
        sql, args = sql + " AND kind = ?", [*args, kind]
    with closing(db):
        rows = db.execute(sql + " ORDER BY created DESC LIMIT ?", [*args, limit]).fetchall()
    records = [r for r in map(RunStore.record, rows) if r is not None]  # the index is data: odd ids are skipped
    return [r for r in records if not status or r.status == status]


def get_run(root: Path, run_id: str) -> RunRecord | None:
    db = _connect(root)
    if db is None:
        return None
    with closing(db):
        row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    return RunStore.record(row) if row else None


def facets(root: Path) -> dict[str, list[str]]:
    """Distinct statuses and kinds, for the filter menus."""
    db = _connect(root)
    if db is None:
        return {"status": [], "kind": []}
    with closing(db):
        rows = db.execute("SELECT * FROM runs").fetchall()
    records = [r for r in map(RunStore.record, rows) if r is not None]
    return {"status": sorted({r.status for r in records}), "kind": sorted({r.kind for r in records})}
