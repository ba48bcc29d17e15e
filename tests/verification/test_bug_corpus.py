"""The realistic-bug corpus (tests/data/bugs/bugs.yaml, ours): sound as data, and every bug killed by its bench.

A bug the bench misses fails here, on purpose: it stays failing (never skipped, never xfailed) until the bench
catches it. bench/bug_corpus.py runs the same corpus on both simulators with a summary per file and family.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "bug_corpus.py"
_SPEC = importlib.util.spec_from_file_location("bug_corpus", _PATH)
bug_corpus = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bug_corpus)

BUGS = bug_corpus.load_corpus()


def test_corpus_is_sound():
    """Fields, known families and files, every find exactly once in its rendered file, >= 36 bugs,
    >= 4 per template file, every family present."""
    assert bug_corpus.corpus_problems(BUGS) == []


def test_corpus_problems_are_found():
    bug = next(b for b in BUGS if b["file"] == "requant.v")
    twice = {**bug, "id": "x_twice", "find": "\n"}   # occurs many times
    unknown = {**bug, "id": "x_family", "family": "cosmic_rays"}
    problems = bug_corpus.corpus_problems([bug, bug, twice, unknown])
    assert f"duplicate id {bug['id']!r}" in problems
    assert any(p.startswith("bug x_twice: find text occurs") and p.endswith("expected exactly once") for p in problems)
    assert any(p.startswith("bug x_family: unknown family 'cosmic_rays'") for p in problems)
    assert "4 bugs, expected at least 36" in problems
    assert "gemm_ws.v: 0 bugs, expected at least 4" in problems
    assert any(p.startswith("family ") and p.endswith(" has no bug") for p in problems)


_BASELINES: dict[str, float] = {}


def _baseline_wall(spec, root: Path) -> float:
    """The unedited design passes its own bench (once per spec per session); its wall time sets the bug's limit."""
    if spec.label not in _BASELINES:
        passed, summary, wall = bug_corpus.run_baseline(spec, "icarus", root)
        if not passed:
            pytest.fail(f"the unedited {spec.label} fails its own bench ({summary}): no bug of it can be judged")
        _BASELINES[spec.label] = wall
    return _BASELINES[spec.label]


@pytest.mark.sim
@pytest.mark.parametrize("bug", BUGS, ids=[b["id"] for b in BUGS])
def test_bench_kills_bug(bug, tmp_path):
    spec = bug_corpus.bug_spec(bug)
    wall = _baseline_wall(spec, tmp_path / "baseline")
    row = bug_corpus.run_bug(bug, "icarus", tmp_path, timeout_s=max(60.0, 4 * wall))
    shutil.rmtree(tmp_path, ignore_errors=True)
    assert row["status"] == "killed", (f"{bug['id']} ({bug['family']}, {bug['file']}, spec {spec.label}) "
                                       f"{row['status']} its bench on icarus: {bug['why']}")
