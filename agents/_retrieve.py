"""Retrieval: the closest design this run store has already verified, for a draft with no template to adapt.

Only verified designs from the run store qualify (their RTL passed the spec-derived bench of their own spec); a
grading file never does. Closest: the same kind, the fewest spec fields that differ, then the most recent.
"""

from __future__ import annotations

import json
from pathlib import Path

from accelsmith.errors import AccelsmithError
from accelsmith.runstore import RunStore
from accelsmith.spec import BlockSpec

MAX_REFERENCE_CHARS = 12_000  # a reference larger than this would crowd the prompt: none is offered
MAX_RUNS_LOOKED_AT = 200


def closest_verified(spec: BlockSpec, run_dir: Path) -> dict | None:
    """``{"run_id", "summary", "differs", "files"}`` of the closest verified run of ``spec.kind`` in the store that
    holds ``run_dir``, or None."""
    store = RunStore(run_dir.parent)
    best: tuple | None = None
    mine = {k: v for k, v in spec.to_json().items() if k != "name"}
    try:
        records = store.list(status="verified", kind=spec.kind, limit=MAX_RUNS_LOOKED_AT)
    except AccelsmithError:
        return None
    for rank, rec in enumerate(records):  # newest first
        try:
            folder = store.folder(rec.run_id)
            theirs = json.loads((folder / "spec.json").read_text())
            files = {p.name: p.read_text() for p in sorted((folder / "rtl").glob("*.v")) if p.is_file()}
        except (OSError, ValueError, AccelsmithError):
            continue
        if folder.resolve() == run_dir.resolve() or not files or sum(map(len, files.values())) > MAX_REFERENCE_CHARS:
            continue
        differs = sorted(k for k in set(mine) | set(theirs) if k != "name" and mine.get(k) != theirs.get(k))
        key = (len(differs), rank)
        if best is None or key < best[0]:
            best = (key, {"run_id": rec.run_id, "summary": rec.summary, "differs": differs, "files": files})
    return best[1] if best else None
