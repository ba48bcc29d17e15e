"""The hostile-RTL corpus (tests/data/hostile, ours): each file is rejected by the scan or contained by the sandbox.

Canaries prove containment: a secret file planted on the host (/tmp/accelsmith_canary/secret.txt), secrets in the
environment (OPENAI_API_KEY and an ACCELSMITH_ token), and /etc/passwd's first line. No canary may appear in any file
the tools wrote, no file named ESCAPED* may appear outside the run folder, and every tool stops within its limits.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import pytest

from accelsmith.verification import (derive, lint_pyslang, lint_verilator, refusals, run_bench, scan_preprocessed,
                                     scan_rtl)
from accelsmith.kinds.clamp import ClampSpec

SPEC = ClampSpec(lanes=4, bits=8, signed=True, name="relu4")  # the ports every corpus file declares

CORPUS_DIR = Path(__file__).parent.parent / "data" / "hostile"
CORPUS = sorted(CORPUS_DIR.glob("*.v"))
CANARY_FILE = Path("/tmp/accelsmith_canary/secret.txt")
FAMILIES = {"system task", "preprocessor assembly", "comment/string confusion", "file I/O", "host query", "DPI",
            "verilator $c", "systemc", "verilator config", "include", "device files", "file names",
            "tool-specific branch", "huge expansion", "huge memories", "huge widths", "infinite loops", "output floods"}
LIMITS = {"lint_s": 20.0, "build_s": 60.0, "sim_s": 8.0, "memory_mb": 1024}
SLACK_S = 5.0  # polling and teardown on a loaded 2-core machine


def _header(path: Path) -> tuple[str, str]:
    m = re.match(r"// hostile corpus: (.+); expect: (scan|contained)\n", path.read_text())
    assert m, f"{path.name}: no corpus header"
    return m.group(1), m.group(2)


@pytest.fixture()
def canaries(monkeypatch):
    token = secrets.token_hex(8)
    secret = f"CANARY-SECRET-{token}"
    CANARY_FILE.parent.mkdir(exist_ok=True)
    CANARY_FILE.write_text(secret + "\n")
    monkeypatch.setenv("OPENAI_API_KEY", f"sk-canary-{token}")
    monkeypatch.setenv("ACCELSMITH_API_TOKEN", f"tok-canary-{token}")
    passwd = Path("/etc/passwd").read_text().splitlines()[0]
    return [secret, f"sk-canary-{token}", f"tok-canary-{token}", passwd]


def _escaped(places: list[Path], run: Path) -> list[Path]:
    found = []
    for place in places:
        if not place.exists():
            continue
        for p in (place.rglob("*ESCAPED*") if place != Path("/tmp") else place.glob("*ESCAPED*")):
            if not p.resolve().is_relative_to(run.resolve()):
                found.append(p)
    return found


def _leaks(run: Path, needles: list[str]) -> list[str]:
    """Files under ``run`` holding a canary (read in chunks: a flood's log may be large)."""
    hits = []
    raw = [n.encode() for n in needles]
    for p in run.rglob("*"):
        if not p.is_file() or p.is_symlink():
            continue
        tail = b""
        with p.open("rb") as f:
            while chunk := f.read(1 << 22):
                block = tail + chunk
                hits += [f"{p.relative_to(run)}: {n.decode()[:24]}" for n in raw if n in block]
                tail = block[-256:]
    return sorted(set(hits))


def test_corpus_covers_every_family():
    assert len(CORPUS) >= 60
    families = {_header(p)[0] for p in CORPUS}
    assert families >= FAMILIES, FAMILIES - families
    assert {_header(p)[1] for p in CORPUS} == {"scan", "contained"}


@pytest.mark.sim
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_hostile_rtl_is_rejected_or_contained(path, tmp_path, canaries):
    family, expect = _header(path)
    name = "$OPENAI_API_KEY.v" if path.stem == "filename_env_var" else path.name
    text = path.read_text()
    run = tmp_path / "run"
    rtl = run / "rtl"
    rtl.mkdir(parents=True)
    stages: list[tuple[str, float, float]] = []  # (stage, seconds, limit)

    findings = scan_rtl({name: text})
    if not findings:
        (rtl / name).write_text(text)
        sources = [rtl / name]
        t0 = time.perf_counter()
        pp = scan_preprocessed(sources, run, ("verilator", "icarus"))
        stages.append(("preprocess", time.perf_counter() - t0, 2 * 60.0))
        findings = refusals(pp)
    got = "scan" if findings else "contained"
    if got == "contained":
        top = "clamp_top"
        t0 = time.perf_counter()
        lint = lint_pyslang(sources, top, run, timeout_s=LIMITS["lint_s"]) + lint_verilator(
            sources, top, run, timeout_s=LIMITS["lint_s"])
        stages.append(("lint", time.perf_counter() - t0, 2 * LIMITS["lint_s"]))
        assert all(d.tool in ("pyslang", "verilator") for d in lint)
        for sim in ("icarus", "verilator"):
            res = run_bench(sources, top, derive(SPEC), run / f"bench_{sim}", sim=sim, timeout_s=LIMITS["sim_s"],
                            build_timeout_s=LIMITS["build_s"], memory_mb=LIMITS["memory_mb"], output_mb=64,
                            use_cache=False)
            stages.append((f"bench {sim}", res.wall_s, LIMITS["build_s"] + LIMITS["sim_s"]))
            largest = max((f.stat().st_size for f in (run / f"bench_{sim}").rglob("*") if f.is_file()), default=0)
            assert largest <= 64 << 20, f"{sim}: a {largest:,}-byte file passed the 64 MiB output limit"
    assert got == expect, f"{path.name} ({family}): expected {expect}, got {got}" + (
        f": {findings[0].one_line()}" if findings else "")
    for stage, seconds, limit in stages:
        assert seconds <= limit + SLACK_S, f"{stage} ran {seconds:.1f} s past its {limit:.0f} s limit"
    escaped = _escaped([Path("/tmp"), tmp_path, Path.home(), Path(__file__).parent.parent.parent], run)
    assert not escaped, f"files written outside the run folder: {escaped}"
    assert not _leaks(run, canaries), f"secrets copied into the run folder: {_leaks(run, canaries)}"
