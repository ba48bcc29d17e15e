"""Malformed specs of our own (tests/data/bad_specs) and non-regular files: each is one clear error, never a
traceback, and nothing grows without bound."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accelsmith.errors import SpecError
from accelsmith.spec import load_spec
from accelsmith.verification._limits import check_effort

ROOT = Path(__file__).parent.parent
CORPUS = sorted((ROOT / "tests" / "data" / "bad_specs").glob("*.yaml"))


def _refusal(path: Path) -> str:
    with pytest.raises(SpecError) as err:
        check_effort(load_spec(path), str(path))
    return str(err.value)


def test_corpus_size():
    assert len(CORPUS) >= 60


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_every_malformed_spec_is_refused_naming_the_file(path):
    message = _refusal(path)
    assert all(line.startswith(f"{path}") for line in message.splitlines()), message
    assert "Traceback" not in message and len(message) < 2000


def test_non_regular_files(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    cases = {tmp_path: "is a folder, not a spec file", fifo: "not a regular file", Path("/dev/zero"): "not a regular file",
             link: "not a regular file", tmp_path / "missing.yaml": "spec file not found"}
    for path, expected in cases.items():
        assert expected in _refusal(path), path


@pytest.mark.parametrize("name", ["alias_bomb", "deep_list", "latin1", "gemm_enormous", "duplicate_key"])
def test_the_cli_says_one_line_and_exits_2(name, tmp_path):
    path = ROOT / "tests" / "data" / "bad_specs" / f"{name}.yaml"
    out = subprocess.run([sys.executable, "-m", "accelsmith.cli", "design", str(path), "--runs-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}"), out.stderr
    assert not [p for p in tmp_path.iterdir() if p.is_dir()]  # no run was started


def test_the_effort_check_refuses_the_enormous_and_passes_real_sizes():
    from accelsmith.verification._limits import effort

    spec = load_spec(ROOT / "tests" / "data" / "bad_specs" / "gemm_enormous.yaml")
    assert effort(spec)["plan_values"] > 100_000_000
    check_effort(load_spec(ROOT / "examples" / "scale" / "qwen05b_gemm_32x32_int8.yaml"))  # real sizes pass
