"""Lint through pyslang and ``verilator --lint-only -Wall``, parsed into Diagnostic records."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from accelsmith.diagnostics import Diagnostic
from accelsmith.tools import require, tool_env
from accelsmith.verification._limits import seconds

_VERILATOR_RE = re.compile(
    r"^%(?P<sev>Error|Warning)(?:-(?P<code>[A-Z0-9_]+))?:\s*(?P<file>[^:\s]+):(?P<line>\d+):(?:(?P<col>\d+):)?\s*(?P<msg>.*)$"
)
MAX_DIAGNOSTICS = 500
_GENERIC_ERROR_RE = re.compile(r"(?:\berror:|^make: \*\*\*|^ERROR:)", re.I)
_IVERILOG_RE = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+):\s*(?:(?P<sev>error|warning|sorry):\s*)?(?P<msg>.*)$")


def parse_tool_output(tool: str, text: str) -> list[Diagnostic]:
    """Parse Verilator or Icarus compiler output into diagnostics (file names relative, no paths)."""
    diags: list[Diagnostic] = []
    for line in text.splitlines():
        if len(diags) >= MAX_DIAGNOSTICS:
            diags.append(Diagnostic(tool=tool, severity="warning", code="TRUNCATED",
                                    message=f"more than {MAX_DIAGNOSTICS} diagnostics; the rest are in the log"))
            break
        line = line[:2000]
        m = _VERILATOR_RE.match(line.strip())
        if m:
            diags.append(Diagnostic(tool=tool, severity="error" if m["sev"] == "Error" else "warning",
                                    file=Path(m["file"]).name, line=int(m["line"]), code=m["code"],
                                    message=m["msg"].strip()))
            continue
        m = _IVERILOG_RE.match(line.strip())
        if m and (tool == "icarus" or tool == "iverilog") and Path(m["file"]).suffix in (".v", ".sv", ".vh"):
            sev = {"warning": "warning"}.get(m["sev"] or "error", "error")
            diags.append(Diagnostic(tool=tool, severity=sev, file=Path(m["file"]).name, line=int(m["line"]),
                                    message=m["msg"].strip()))
            continue
        if _GENERIC_ERROR_RE.search(line) and len(diags) < 20:  # C++ compiler / make / linker failures
            diags.append(Diagnostic(tool=tool, severity="error", code="BUILD", message=line.strip()[:300]))
    return diags


def lint_verilator(sources: list[Path], top: str, workdir: Path, timeout_s: float = 60.0,
                   size: str = "") -> list[Diagnostic]:
    """``verilator --lint-only -Wall`` in the sandbox (its own folder under ``workdir``): every warning and error
    as a Diagnostic. ``size`` (e.g. "1024 PEs") names the design's size if the lint runs out of time."""
    from accelsmith import sandbox
    from accelsmith.verification._security import guard

    exe = require("verilator")
    folder = Path(workdir) / "lint_verilator"
    guard(sources, folder, ("verilator",))
    cmd = [exe, "--lint-only", "-Wall", "-Wno-fatal", "--top-module", top, *[str(Path(s).resolve()) for s in sources]]
    res = sandbox.run(cmd, cwd=folder, readable=_source_dirs(sources), env=tool_env(), log=folder / "lint.log",
                      limits=sandbox.Limits(wall_s=timeout_s, memory_mb=8192, file_mb=64, disk_mb=256))
    if res.killed == "time":
        what = top + (f" ({size})" if size else "")
        return [Diagnostic(tool="verilator", severity="error", code="LINT_TIMEOUT",
                           message=f"verilator lint of {what} exceeded its {seconds(timeout_s)} s limit after "
                                   f"{seconds(res.wall_s)} s; raise the limit with --lint-timeout SECONDS")]
    if res.killed:
        return [Diagnostic(tool="verilator", severity="error", code="LINT_LIMIT", message=res.describe("verilator lint"))]
    text = sandbox.read_capped(res.log)
    diags = parse_tool_output("verilator", text)
    if res.returncode != 0 and not any(d.severity == "error" for d in diags):
        diags.append(Diagnostic(tool="verilator", severity="error", message=(text.strip() or "lint failed")[:500]))
    return diags


def _source_dirs(sources: list[Path]) -> list[Path]:
    return sorted({Path(s).resolve().parent for s in sources})


def lint_pyslang(sources: list[Path], top: str | None = None, workdir: Path | None = None,
                 timeout_s: float = 60.0) -> list[Diagnostic]:
    """Parse and elaborate with pyslang, in the sandbox (its own process: a hostile macro or generate tree must
    not grow this one past its memory); all diagnostics in one pass. ``workdir`` defaults to a temporary folder."""
    import json
    import tempfile

    from accelsmith import sandbox

    with tempfile.TemporaryDirectory(prefix="accelsmith-pyslang-") as tmp:
        folder = Path(workdir) / "lint_pyslang" if workdir else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / "diagnostics.json"
        out.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "accelsmith.verification._lint", str(out), top or "",
               *[str(Path(s).resolve()) for s in sources]]
        res = sandbox.run(cmd, cwd=folder, readable=_source_dirs(sources), env=tool_env(), log=folder / "pyslang.log",
                          limits=sandbox.Limits(wall_s=timeout_s, memory_mb=4096, file_mb=64, disk_mb=128))
        if res.killed or not out.exists():
            why = res.describe("pyslang") if res.killed else (
                f"pyslang stopped without a result: {sandbox.read_capped(res.log, 4096).strip()[-300:]}")
            return [Diagnostic(tool="pyslang", severity="error", code="LINT_LIMIT" if res.killed else "LINT_CRASH",
                               message=why)]
        return [Diagnostic.model_validate(d) for d in json.loads(out.read_text())]


def _pyslang_diagnostics(sources: list[str], top: str | None) -> list[Diagnostic]:
    import pyslang
    from pyslang.ast import Compilation, CompilationOptions
    from pyslang.syntax import SyntaxTree

    sm = pyslang.SourceManager()
    options = CompilationOptions()
    if top:
        options.topModules = {top}
    bag = pyslang.Bag([options])
    comp = Compilation(bag)
    for s in sources:
        comp.addSyntaxTree(SyntaxTree.fromFile(str(s), sm, bag))
    engine = pyslang.DiagnosticEngine(sm)
    diags = []
    for d in comp.getAllDiagnostics():
        sev = str(engine.getSeverity(d.code, d.location)).rsplit(".", 1)[-1].lower()
        if sev == "ignored":
            continue
        file = line = None
        try:
            file = Path(sm.getFileName(d.location)).name or None
            line = sm.getLineNumber(d.location) or None
        except (RuntimeError, ValueError):  # locations inside macro expansions
            pass
        diags.append(Diagnostic(tool="pyslang", severity="error" if sev in ("error", "fatal") else "warning",
                                file=file, line=line, code=str(d.code).removeprefix("DiagCode(").rstrip(")"),
                                message=engine.formatMessage(d)[:2000]))
    return diags


def lint(sources: list[Path], top: str, workdir: Path) -> list[Diagnostic]:
    """Both linters; pyslang first, then Verilator."""
    return lint_pyslang(sources, top, workdir) + lint_verilator(sources, top, workdir)


if __name__ == "__main__":  # the sandboxed pyslang child: OUT.json TOP SOURCES...
    import json

    _out, _top, *_sources = sys.argv[1:]
    Path(_out).write_text(json.dumps([d.model_dump() for d in _pyslang_diagnostics(_sources, _top or None)]))
