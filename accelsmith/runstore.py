"""The run store: one folder per run plus a SQLite index (``runs.sqlite``).

Layout of ``<root>/<run_id>/``: spec.json, tools.json, testplan.json, iter_NN/ (rtl/, diagnostics.json,
bench_<sim>/ with results.xml), rtl/ (final RTL), diagnostics.json, results.xml (JUnit of the final
bench), cost.json, report.md, checkpoints.sqlite (graph state, for resume).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accelsmith.spec import BlockSpec

DEFAULT_ROOT_ENV = "ACCELSMITH_RUNS"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    summary TEXT NOT NULL,
    backend TEXT NOT NULL,
    status TEXT NOT NULL,
    stop_reason TEXT,
    iterations INTEGER NOT NULL DEFAULT 0,
    seconds REAL,
    tokens_in INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    bench TEXT
)
"""
_FIELDS = ("status", "stop_reason", "iterations", "seconds", "tokens_in", "tokens_out", "bench")


def default_root() -> Path:
    return Path(os.environ.get(DEFAULT_ROOT_ENV, "runs"))


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    created: float
    updated: float
    kind: str
    label: str
    spec_hash: str
    summary: str
    backend: str
    status: str
    stop_reason: str | None
    iterations: int
    seconds: float | None
    tokens_in: int
    tokens_out: int
    bench: str | None


class RunStore:
    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_root()
        self.root.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.root / "runs.sqlite", timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def folder(self, run_id: str) -> Path:
        return self.root / run_id

    def create(self, spec: BlockSpec, backend: str) -> str:
        run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{spec.kind}-{spec.spec_hash[:6]}-{secrets.token_hex(2)}"
        folder = self.folder(run_id)
        folder.mkdir(parents=True)
        write_json(folder / "spec.json", spec.to_json())
        now = time.time()
        with self._db() as db:
            db.execute(
                "INSERT INTO runs (run_id, created, updated, kind, label, spec_hash, summary, backend, status)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running')",
                (run_id, now, now, spec.kind, spec.label, spec.spec_hash, spec.summary(), backend),
            )
        return run_id

    def update(self, run_id: str, **fields: Any) -> None:
        unknown = set(fields) - set(_FIELDS)
        if unknown:
            raise ValueError(f"unknown run fields {sorted(unknown)!r}; known: {', '.join(_FIELDS)}")
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._db() as db:
            db.execute(f"UPDATE runs SET {cols}, updated = ? WHERE run_id = ?", (*fields.values(), time.time(), run_id))

    def get(self, run_id: str) -> RunRecord | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return RunRecord(**dict(row)) if row else None

    def list(self, status: str | None = None, kind: str | None = None, limit: int = 1000) -> list[RunRecord]:
        sql, args = "SELECT * FROM runs WHERE 1=1", []
        if status:
            sql += " AND status = ?"
            args.append(status)
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        sql += " ORDER BY created DESC LIMIT ?"
        args.append(limit)
        with self._db() as db:
            return [RunRecord(**dict(r)) for r in db.execute(sql, args).fetchall()]


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(path)
    return path
