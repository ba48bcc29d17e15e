"""`accelsmith verify SPEC RTL...`: a user's own RTL through the same scan, lint and spec-derived bench as design."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from accelsmith.hw_templates import get
from accelsmith.spec import load_spec

ROOT = Path(__file__).parent.parent.parent
SPEC = "kind: gemm\nrows: 2\ncols: 3\nk: 4\n"


def accelsmith(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "accelsmith.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture()
def user_design(tmp_path):
    """The template's RTL as a user would hand it over: files in a folder of their own, edited by hand."""
    spec_path = tmp_path / "gemm.yaml"
    spec_path.write_text(SPEC)
    bundle = get("gemm").render(load_spec(spec_path))
    return spec_path, bundle.write(tmp_path / "mine"), bundle.top


def _edit(paths, old, new):
    (pe,) = [p for p in paths if p.name == "gemm_os.v"]
    text = pe.read_text()
    assert old in text
    pe.write_text("// edited by hand: operands of the product swapped\n" + text.replace(old, new))


@pytest.mark.sim
def test_an_edited_template_verifies(user_design, tmp_path):
    spec_path, paths, top = user_design
    _edit(paths, "wire [2*IW-1:0] prod = ax * bx;", "wire [2*IW-1:0] prod = bx * ax;")
    out = accelsmith("verify", str(spec_path), *map(str, paths), "--runs-dir", str(tmp_path / "runs"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"(top {top})" in out.stdout and "VERIFIED run" in out.stdout
    (run,) = [p for p in (tmp_path / "runs").iterdir() if p.is_dir()]
    assert "edited by hand" in (run / "rtl" / "gemm_os.v").read_text()
    assert (run / "results.xml").is_file() and "VERIFIED" in (run / "report.md").read_text()
    assert json.loads((run / "spec.json").read_text())["cols"] == 3


@pytest.mark.sim
def test_a_broken_design_fails_with_its_waves(user_design, tmp_path):
    spec_path, paths, _ = user_design
    _edit(paths, "wire [2*IW-1:0] prod = ax * bx;", "wire [2*IW-1:0] prod = ax + bx;")
    out = accelsmith("verify", str(spec_path), *map(str, paths), "--runs-dir", str(tmp_path / "runs"))
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAILED run" in out.stdout and "bench verilator: 0/" not in out.stdout.replace("bench verilator: 0/0", "")
    (run,) = [p for p in (tmp_path / "runs").iterdir() if p.is_dir()]
    report = (run / "report.md").read_text()
    assert "FAILED" in report and "| FAIL |" in report
    assert list((run / "iter_01").glob("failure_*.vcd")), "no waveform of the first failure"
    assert "<failure" in (run / "results.xml").read_text()


@pytest.mark.sim
def test_hostile_user_rtl_is_refused_before_any_tool(user_design, tmp_path):
    spec_path, paths, _ = user_design
    _edit(paths, "    wire          fire = in_valid && in_ready;",
          "    wire          fire = in_valid && in_ready;\n    `define RUN $sys``tem\n    initial `RUN(\"id\");")
    out = accelsmith("verify", str(spec_path), *map(str, paths), "--runs-dir", str(tmp_path / "runs"))
    assert out.returncode == 1
    (run,) = [p for p in (tmp_path / "runs").iterdir() if p.is_dir()]
    diags = json.loads((run / "iter_01" / "diagnostics.json").read_text())
    assert {d["code"] for d in diags} >= {"TOKEN_PASTE", "SYSTEM_TASK"}
    assert not (run / "iter_01" / "bench_verilator").exists()


@pytest.mark.parametrize("extra, message", [
    (["missing.v"], r"missing\.v: RTL file not found"),
    (["--top", "nope"], r"no module named 'nope'"),
])
def test_bad_input_is_one_line_exit_2(user_design, tmp_path, extra, message):
    import re

    spec_path, paths, _ = user_design
    args = [str(spec_path), *map(str, paths)]
    if extra[0].endswith(".v"):
        args.append(str(tmp_path / extra[0]))
    else:
        args += extra
    out = accelsmith("verify", *args, "--runs-dir", str(tmp_path / "runs"))
    assert out.returncode == 2, out.stdout + out.stderr
    assert re.search(message, out.stderr) and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not (tmp_path / "runs").exists() or not any(p.is_dir() for p in (tmp_path / "runs").iterdir())


def test_two_roots_need_a_top(tmp_path):
    spec_path = tmp_path / "gemm.yaml"
    spec_path.write_text(SPEC)
    a, b = tmp_path / "a.v", tmp_path / "b.v"
    a.write_text("module a(input x); endmodule\n")
    b.write_text("module b(input x); endmodule\n")
    out = accelsmith("verify", str(spec_path), str(a), str(b))
    assert out.returncode == 2 and "name the one the bench drives with --top" in out.stderr


@pytest.mark.sim
def test_memory_limit_from_the_cli_stops_the_build_and_says_so(tmp_path):
    import os

    env = {**os.environ, "ACCELSMITH_BUILD_CACHE": "off"}
    root = ROOT / "examples" / "user"
    out = subprocess.run([sys.executable, "-m", "accelsmith.cli", "verify", str(root / "relu4.yaml"),
                          str(root / "clamp_top.v"), "--no-cross-check", "--memory-mb", "64", "--build-timeout", "30",
                          "--runs-dir", str(tmp_path / "runs")], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    (run,) = [p for p in (tmp_path / "runs").iterdir() if p.is_dir()]
    (diag,) = [d for d in json.loads((run / "diagnostics.json").read_text()) if d["code"] == "BUILD_LIMIT"]
    assert "exceeded its memory limit (64 MiB" in diag["message"] and "--memory-mb" in diag["message"]
