"""Lint through pyslang and ``verilator --lint-only -Wall``, parsed into Diagnostic records."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from accelsmith.diagnostics import Diagnostic
from accelsmith.tools import require, tool_env
from accelsmith.verification._limits import seconds

_VERILATOR_RE = re.compile(
    r"^%(?P<sev>Error|Warning)(?:-(?P<code>[A-Z0-9_]+))?:\s*(?P<file>[^:\s]+):(?P<line>\d+):(?:(?P<col>\d+):)?\s*(?P<msg>.*)$"
)
_GENERIC_ERROR_RE = re.compile(r"(?:\berror:|^make: \*\*\*|^ERROR:)", re.I)
_IVERILOG_RE = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+):\s*(?:(?P<sev>error|warning|sorry):\s*)?(?P<msg>.*)$")


def parse_tool_output(tool: str, text: str) -> list[Diagnostic]:
    """Parse Verilator or Icarus compiler output into diagnostics (file names relative, no paths)."""
    diags = []
    for line in text.splitlines():
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
    """``verilator --lint-only -Wall``: every warning and error as a Diagnostic. ``size`` (e.g. "1024 PEs")
    names the design's size if the lint runs out of time."""
    exe = require("verilator")
    cmd = [exe, "--lint-only", "-Wall", "-Wno-fatal", "--top-module", top, *[str(s) for s in sources]]
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, cwd=workdir, env=tool_env(), capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        what = top + (f" ({size})" if size else "")
        return [Diagnostic(tool="verilator", severity="error", code="LINT_TIMEOUT",
                           message=f"verilator lint of {what} exceeded its {seconds(timeout_s)} s limit after "
                                   f"{seconds(time.perf_counter() - t0)} s; raise the limit with --lint-timeout SECONDS")]
    diags = parse_tool_output("verilator", out.stderr + out.stdout)
    if out.returncode != 0 and not any(d.severity == "error" for d in diags):
        diags.append(Diagnostic(tool="verilator", severity="error", message=(out.stderr.strip() or "lint failed")[:500]))
    return diags


def lint_pyslang(sources: list[Path], top: str | None = None) -> list[Diagnostic]:
    """Parse and elaborate with pyslang; all diagnostics in one pass (sub-millisecond)."""
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
                                message=engine.formatMessage(d)))
    return diags


def lint(sources: list[Path], top: str, workdir: Path) -> list[Diagnostic]:
    """Both linters; pyslang first (sub-millisecond), then Verilator."""
    return lint_pyslang(sources, top) + lint_verilator(sources, top, workdir)
