"""The OS sandbox itself: what a tool inside can see, write and use, and the refusal when there is none."""

from __future__ import annotations

import os
import subprocess
import time
import sys
from pathlib import Path

import pytest

from accelsmith import sandbox

pytestmark = pytest.mark.skipif(sandbox.status() != "bwrap", reason="needs bubblewrap (scripts/setup.sh installs it)")
PY = sys.executable


def _run(tmp_path, code: str, **limits):
    work = tmp_path / "work"
    out = sandbox.run([PY, "-c", code], cwd=work, limits=sandbox.Limits(wall_s=limits.pop("wall_s", 30), **limits))
    return out, sandbox.read_capped(out.log)


def test_secrets_never_reach_a_tool(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-1")
    monkeypatch.setenv("ACCELSMITH_API_TOKEN", "tok-canary-2")
    monkeypatch.setenv("HF_TOKEN", "hf-canary-3")
    monkeypatch.setenv("ACCELSMITH_FAIL_FAST", "1")
    out, log = _run(tmp_path, "import os; print(sorted(os.environ.items())); print(open('/proc/self/environ').read())")
    assert out.ok and "canary" not in log
    assert "ACCELSMITH_FAIL_FAST" in log  # allowlisted settings do pass


def test_only_its_own_folder_is_visible_and_writable(tmp_path):
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("CANARY")
    home_file = Path.home() / ".bashrc"
    code = f"""
import os, socket
print("outside:", os.path.exists({str(secret)!r}), "home:", os.path.exists({str(home_file)!r}))
print("etc:", sorted(os.listdir("/etc")))
for target in ({str(tmp_path / 'ESCAPED')!r}, "/usr/ESCAPED", "/tmp/ESCAPED_private"):
    try:
        open(target, "w").write("x"); print("wrote", target)
    except OSError as err:
        print("refused", target, err.errno)
try:
    socket.create_connection(("1.1.1.1", 80), timeout=2); print("network: yes")
except OSError:
    print("network: no")
open("mine.txt", "w").write("ok")
"""
    out, log = _run(tmp_path, code)
    assert out.ok, log
    assert "outside: False home: False" in log and "network: no" in log
    assert "passwd" not in log.split("etc:")[1].splitlines()[0]
    assert "refused /usr/ESCAPED" in log
    # /tmp inside is a private tmpfs: a write there (or under this test's own /tmp folder) lands in it, not here
    assert "wrote /tmp/ESCAPED_private" in log and not Path("/tmp/ESCAPED_private").exists()
    assert not (tmp_path / "ESCAPED").exists() and (tmp_path / "work" / "mine.txt").read_text() == "ok"


@pytest.mark.parametrize("code, limits, killed", [
    ("x = bytearray(3 << 30)", {"memory_mb": 512}, "memory"),
    ("import time; time.sleep(60)", {"wall_s": 2}, "time"),
    ("while True: pass", {"cpu_s": 2}, "cpu"),
    ("f = open('big', 'wb')\nwhile True: f.write(b'x' * 1000000)", {"file_mb": 20}, "file size"),
    ("import os\nfor i in range(1000): open(f'f{i}', 'wb').write(b'x' * 1000000)\nimport time; time.sleep(30)",
     {"disk_mb": 100}, "disk"),
])
def test_each_limit_stops_the_tool_and_says_which(tmp_path, code, limits, killed):
    out, _ = _run(tmp_path, code, **limits)
    assert out.killed == killed and not out.ok
    assert out.wall_s < 20
    assert killed in out.describe("the tool")


def test_process_count_is_bounded(tmp_path):
    code = ("import os, time\nn = 0\ntry:\n    for i in range(500):\n        if os.fork() == 0:\n"
            "            time.sleep(5); os._exit(0)\n        n += 1\nexcept OSError:\n    pass\nprint('forked', n)")
    out, log = _run(tmp_path, code, procs=32)
    forked = int(log.split("forked")[1].split()[0])
    assert forked < 32, log


def test_nothing_outlives_a_killed_run(tmp_path):
    # a duration no other process on the host is likely to sleep for (a plain `sleep 300` elsewhere matched once)
    secs = f"300.{os.getpid()}{time.time_ns() % 10_000}"
    code = f"import subprocess, time; subprocess.Popen(['sleep', '{secs}'], start_new_session=True); time.sleep(300)"
    out, _ = _run(tmp_path, code, wall_s=2)
    assert out.killed == "time"
    left = subprocess.run(["pgrep", "-f", f"^sleep {secs}$"], capture_output=True, text=True).stdout.split()
    assert not left, f"a process escaped its sandbox: {left}"


def test_no_sandbox_refuses_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "_bwrap_problem", lambda: "bubblewrap (bwrap) is not installed")
    with pytest.raises(sandbox.SandboxUnavailable, match=r"^no OS sandbox for untrusted RTL: bubblewrap .* pass "
                                                          r"--unsafe-no-sandbox"):
        sandbox.run(["/bin/true"], cwd=tmp_path, limits=sandbox.Limits(wall_s=5))
    monkeypatch.setattr(sandbox, "_allow_host", True)
    out = sandbox.run(["/bin/sh", "-c", "echo $OPENAI_API_KEY; echo done"], cwd=tmp_path, env={"OPENAI_API_KEY": "k",
                      "PATH": os.environ["PATH"]}, limits=sandbox.Limits(wall_s=5))
    assert out.ok and not out.sandboxed and sandbox.read_capped(out.log).split() == ["done"]


def test_cli_without_a_sandbox_is_one_line(tmp_path):
    """A fake PATH without bwrap: every tool command refuses in one line and names the flag."""
    env = {**os.environ, "PATH": _path_without_bwrap(tmp_path)}
    root = Path(__file__).parent.parent
    out = subprocess.run([PY, "-m", "accelsmith.cli", "design", "examples/gemm_4x4_int8.yaml", "--runs-dir",
                          str(tmp_path / "runs")], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "bubblewrap (bwrap) is not installed" in out.stderr and "--unsafe-no-sandbox" in out.stderr
    assert not (tmp_path / "runs").exists() or not any(p.is_dir() for p in (tmp_path / "runs").iterdir())


def _path_without_bwrap(tmp_path) -> str:
    """/usr/bin and /bin mirrored as symlinks minus bwrap (bwrap lives in /usr/bin with everything else)."""
    mirror = tmp_path / "usrbin"
    mirror.mkdir()
    for p in Path("/usr/bin").iterdir():
        if p.name != "bwrap":
            (mirror / p.name).symlink_to(p)
    return str(mirror)
