"""A careless or hostile user against the run store and its commands: every probe ends in one clear line (exit 2)
or a correct answer, never a traceback, and nothing is read or written outside the store."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SPEC = str(ROOT / "examples" / "gemm_4x4_int8.yaml")


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "accelsmith.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def _one_line_error(out, *needles):
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A store with one finished run (a real design run), copied per test."""
    root = tmp_path_factory.mktemp("store")
    out = cli("design", SPEC, "--no-cross-check", "--sim", "icarus", "--runs-dir", str(root))
    assert out.returncode == 0, out.stdout + out.stderr
    (run_id,) = [p.name for p in root.iterdir() if p.is_dir()]
    return root, run_id


@pytest.fixture()
def store(finished, tmp_path):
    root, run_id = finished
    copy = tmp_path / "runs"
    shutil.copytree(root, copy)
    return copy, run_id


def _corrupt_folder(store_root: Path, run_id: str, how: str) -> None:
    folder = store_root / run_id
    ckpt = folder / "checkpoints.sqlite"
    if how == "deleted":
        shutil.rmtree(folder)
    elif how == "replaced by a file":
        shutil.rmtree(folder)
        folder.write_text("not a folder")
    elif how == "garbage checkpoint":
        for p in folder.glob("checkpoints.sqlite*"):
            p.unlink()
        ckpt.write_bytes(os.urandom(4096))
    elif how == "empty checkpoint":
        for p in folder.glob("checkpoints.sqlite*"):
            p.unlink()
        ckpt.write_bytes(b"")
    elif how == "no checkpoint":
        for p in folder.glob("checkpoints.sqlite*"):
            p.unlink()
    elif how == "emptied folder":
        shutil.rmtree(folder)
        folder.mkdir()
    elif how == "folder is a link out":
        outside = store_root.parent / "elsewhere"
        shutil.move(str(folder), outside)
        folder.symlink_to(outside)


@pytest.mark.parametrize("how, needle", [
    ("deleted", "is gone"), ("replaced by a file", "is gone"), ("garbage checkpoint", "cannot be read"),
    ("empty checkpoint", "no checkpoint"), ("no checkpoint", "no checkpoint"), ("emptied folder", "no checkpoint"),
    ("folder is a link out", "link out of the run store"),
])
def test_resume_of_a_broken_run_folder(store, how, needle):
    root, run_id = store
    _corrupt_folder(root, run_id, how)
    _one_line_error(cli("resume", run_id, "--runs-dir", str(root)), needle)
    assert not (root.parent / "elsewhere" / "checkpoints.sqlite-wal").exists()


@pytest.mark.parametrize("command", [["runs", "list"], ["runs", "show", "X"], ["resume", "X"], ["design", SPEC]])
@pytest.mark.parametrize("index", ["garbage", "directory", "empty-file-ok"])
def test_a_broken_index(store, command, index):
    root, run_id = store
    db = root / "runs.sqlite"
    db.unlink()
    if index == "garbage":
        db.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    elif index == "directory":
        db.mkdir()
    else:
        db.write_bytes(b"")
    args = [a if a != "X" else run_id for a in command]
    out = cli(*args, "--runs-dir", str(root), *(["--no-cross-check", "--sim", "icarus"] if "design" in args else []))
    if index == "empty-file-ok":  # an empty file is an empty index: list works, the run is unknown
        assert "Traceback" not in out.stderr
        assert out.returncode in (0, 1, 2), out.stderr
        return
    _one_line_error(out, "runs.sqlite")


@pytest.mark.parametrize("where", ["a file", "/proc", "/sys"])
def test_a_runs_dir_that_cannot_be_a_store(tmp_path, where):
    target = {"a file": tmp_path / "f", "/proc": Path("/proc/accelsmith_runs"), "/sys": Path("/sys/accelsmith_runs")}[where]
    if where == "a file":
        target.write_text("x")
    for args in (["runs", "list"], ["design", SPEC]):
        _one_line_error(cli(*args, "--runs-dir", str(target)), str(target))


@pytest.mark.parametrize("bad_id", ["../outside_report", "/etc", "a/../../b", "..", "", "x" * 300])
def test_ids_from_the_index_or_the_command_line_never_leave_the_store(store, bad_id):
    root, run_id = store
    (root.parent / "outside_report").mkdir()
    (root.parent / "outside_report" / "report.md").write_text("OUTSIDE-CANARY")
    with sqlite3.connect(root / "runs.sqlite") as db:  # a planted row whose id is a path
        db.execute("UPDATE runs SET run_id = ? WHERE run_id = ?", ("../outside_report", run_id))
    listed = cli("runs", "list", "--runs-dir", str(root))
    assert listed.returncode == 0 and "outside_report" not in listed.stdout
    for args in (["runs", "show", bad_id], ["resume", bad_id]):
        out = cli(*args, "--runs-dir", str(root))
        assert out.returncode == 2 and "OUTSIDE-CANARY" not in out.stdout and "Traceback" not in out.stderr
    assert not (root.parent / "outside_report" / "checkpoints.sqlite").exists()


def test_a_killed_run_is_shown_interrupted_and_resumes(tmp_path):
    root = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "accelsmith.cli", "design", SPEC, "--runs-dir", str(root)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(root.glob("*/iter_01/bench_*")):
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    listed = cli("runs", "list", "--runs-dir", str(root))
    assert "\tinterrupted\t" in listed.stdout, listed.stdout
    (run_id,) = [p.name for p in root.iterdir() if p.is_dir()]
    out = cli("resume", run_id, "--runs-dir", str(root))
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"resuming run {run_id} (was interrupted): finished nodes are kept; next: verify" in out.stdout
    assert "VERIFIED" in out.stdout
    assert "\tverified\t" in cli("runs", "list", "--runs-dir", str(root)).stdout


def test_a_full_disk_is_one_line_and_the_row_says_why(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt)]).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        out = cli("design", SPEC, "--runs-dir", str(mnt), "--no-cross-check", "--sim", "icarus")
        assert out.returncode in (1, 2) and "Traceback" not in out.stderr + out.stdout, out.stdout + out.stderr
        rows = cli("runs", "list", "--runs-dir", str(mnt)).stdout
        assert "\trunning\t" not in rows, rows
    finally:
        subprocess.run(["umount", "-l", str(mnt)])
