"""The run store: one folder per run plus a SQLite index (``runs.sqlite``).

Layout of ``<root>/<run_id>/``: spec.json, tools.json, testplan.json, iter_NN/ (rtl/, diagnostics.json,
bench_<sim>/ with results.xml), rtl/ (final RTL), diagnostics.json, results.xml (JUnit of the final
bench), cost.json, report.md, checkpoints.sqlite (graph state, for resume).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from accelsmith.errors import StoreError
from accelsmith.spec import BlockSpec

RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")

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
# who runs a row marked 'running': a row whose process is gone is shown as 'interrupted'
_OWNER_COLUMNS = {"pid": "INTEGER", "pid_start": "TEXT", "boot_id": "TEXT"}
_FIELDS = ("status", "stop_reason", "iterations", "seconds", "tokens_in", "tokens_out", "bench")


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot ('' when it does not exist): a pid reused later has
    another start time."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def alive(pid: int | None, pid_start: str | None, boot_id: str | None) -> bool:
    """Whether the process that created a run is still this machine's same process."""
    if not pid or boot_id != _boot_id():
        return False
    return bool(pid_start) and _start_time(pid) == pid_start


def check_run_id(run_id: str) -> str:
    """``run_id`` when it is a plain run id (letters, digits, _ . -; no path); StoreError otherwise."""
    if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id) or ".." in run_id:
        raise StoreError(f"{str(run_id)[:80]!r} is not a run id (letters, digits, '_', '.', '-'; no folders)")
    return run_id


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
    """Run folders under ``root`` and their index. Every failure (a root that cannot be made, a corrupt, locked or
    read-only index, a full disk) is a ``StoreError`` with one line; ids are checked wherever they are read."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_root()
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"run store {self.root} is a file, not a folder; give --runs-dir a folder")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".write-probe-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
        except OSError as err:
            raise StoreError(f"run store {self.root} is not a writable folder ({err.strerror or err}); "
                             f"give --runs-dir a folder you can write") from None
        index = self.root / "runs.sqlite"
        if index.exists() and not index.is_file():
            raise StoreError(f"run index {index} is not a file; move it aside and the index is made anew")
        with self._db("open the run index") as db:
            db.execute(_SCHEMA)
            have = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
            for col, typ in _OWNER_COLUMNS.items():
                if col not in have:
                    db.execute(f"ALTER TABLE runs ADD COLUMN {col} {typ}")

    @contextmanager
    def _db(self, doing: str):
        index = self.root / "runs.sqlite"
        db = None
        try:
            db = sqlite3.connect(index, timeout=30)
            db.row_factory = sqlite3.Row
            with db:
                yield db
        except sqlite3.DatabaseError as err:
            hint = ("move it aside and the index is made anew" if "not a database" in str(err) or "malformed" in str(err)
                    else "check the disk and the file's permissions")
            raise StoreError(f"could not {doing} in {index}: {err}; {hint}") from None
        finally:
            if db is not None:
                db.close()

    def folder(self, run_id: str) -> Path:
        """The run's folder; StoreError for an id that is not plain or a folder that leads out of the store."""
        folder = self.root / check_run_id(run_id)
        if folder.is_symlink() or (folder.exists() and not folder.resolve().is_relative_to(self.root.resolve())):
            raise StoreError(f"run {run_id}: its folder is a link out of the run store; refusing to use it")
        return folder

    def create(self, spec: BlockSpec, backend: str) -> str:
        run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{spec.kind}-{spec.spec_hash[:6]}-{secrets.token_hex(2)}"
        folder = self.folder(run_id)
        try:
            folder.mkdir(parents=True)
            write_json(folder / "spec.json", spec.to_json())
        except OSError as err:
            raise StoreError(f"could not create run folder {folder}: {err.strerror or err}") from None
        now = time.time()
        with self._db("record the new run") as db:
            db.execute(
                "INSERT INTO runs (run_id, created, updated, kind, label, spec_hash, summary, backend, status, pid,"
                " pid_start, boot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                (run_id, now, now, spec.kind, spec.label, spec.spec_hash, spec.summary(), backend, os.getpid(),
                 _start_time(os.getpid()), _boot_id()),
            )
        return run_id

    def adopt(self, folder: Path, record: dict) -> Path:
        """Move a run made elsewhere (another store's ``folder``, its index row ``record``) into this store; a run
        id this store holds already is refused. Returns the run's folder here."""
        run_id = check_run_id(record["run_id"])
        dest = self.folder(run_id)
        if dest.exists() or self.get(run_id) is not None:
            raise StoreError(f"run {run_id} is in {self.root} already; not adopting a second copy")
        try:
            Path(folder).rename(dest)
        except OSError as err:
            raise StoreError(f"could not move run {run_id} into {self.root}: {err.strerror or err}") from None
        row = {k: record[k] for k in RunRecord.__dataclass_fields__}
        with self._db("record the adopted run") as db:
            db.execute(f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
        return dest

    def claim(self, run_id: str) -> None:
        """Mark ``run_id`` as running in this process (``resume``)."""
        check_run_id(run_id)
        with self._db("mark the run as resumed") as db:
            db.execute("UPDATE runs SET status = 'running', pid = ?, pid_start = ?, boot_id = ?, updated = ? "
                       "WHERE run_id = ?", (os.getpid(), _start_time(os.getpid()), _boot_id(), time.time(), run_id))

    def update(self, run_id: str, **fields: Any) -> None:
        unknown = set(fields) - set(_FIELDS)
        if unknown:
            raise ValueError(f"unknown run fields {sorted(unknown)!r}; known: {', '.join(_FIELDS)}")
        check_run_id(run_id)
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._db("update the run's index row") as db:
            db.execute(f"UPDATE runs SET {cols}, updated = ? WHERE run_id = ?", (*fields.values(), time.time(), run_id))

    @staticmethod
    def record(row: sqlite3.Row) -> RunRecord | None:
        """A row as a RunRecord: None for a row whose id is not a plain run id; a dead 'running' row as interrupted."""
        d = dict(row)
        owner = {k: d.pop(k, None) for k in _OWNER_COLUMNS}
        if not isinstance(d.get("run_id"), str) or not RUN_ID.fullmatch(d["run_id"]) or ".." in d["run_id"]:
            return None  # the index is data, not trust: a row with a path for an id is skipped
        try:
            rec = RunRecord(**d)
        except TypeError:
            return None
        if rec.status == "running" and not alive(owner["pid"], owner["pid_start"], owner["boot_id"]):
            rec = replace(rec, status="interrupted",
                          stop_reason=rec.stop_reason or "its process ended without recording a result")
        return rec

    def get(self, run_id: str) -> RunRecord | None:
        check_run_id(run_id)
        with self._db("read the run index") as db:
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return self.record(row) if row else None

    def list(self, status: str | None = None, kind: str | None = None, limit: int = 1000) -> list[RunRecord]:
        sql, args = "SELECT * FROM runs WHERE 1=1", []
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        sql += " ORDER BY created DESC LIMIT ?"
        args.append(limit)
        with self._db("read the run index") as db:
            rows = db.execute(sql, args).fetchall()
        records = [r for r in map(self.record, rows) if r is not None]
        return [r for r in records if not status or r.status == status]


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as JSON atomically (a temporary file, then a rename): a full disk never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(path)
    return path
