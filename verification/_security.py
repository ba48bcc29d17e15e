"""Security scan of untrusted RTL, run before any tool (linter, simulator, synthesiser) reads it.

Simulators compile Verilog into host programs, so some constructs reach the host: system tasks that
run commands or touch files, DPI and Verilator's inline C++, and includes that read outside the run
folder. Those are rejected; comments are stripped first so a mention in a comment is harmless.
"""

from __future__ import annotations

import re
from pathlib import Path

from accelsmith.diagnostics import Diagnostic
from accelsmith.errors import UnsafeRTL

# (pattern, code, why)
_FORBIDDEN: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"\$system\b"), "SYSTEM_TASK", "$system runs a host shell command"),
    (re.compile(r"\$(?:fopen|fwrite|fdisplay|fstrobe|fmonitor|fscanf|fgets|fread|fputc|fflush|fclose)\b"),
     "FILE_IO", "file I/O system tasks touch host files"),
    (re.compile(r"\$(?:readmem[bh]|writemem[bh]|dumpfile)\b"), "FILE_IO", "memory/dump files touch host paths"),
    (re.compile(r"\b(?:import|export)\s+\"DPI(?:-C)?\""), "DPI", "DPI imports call host C code"),
    (re.compile(r"\$c(?:pure)?\s*\(|\$c\d+\s*\("), "VERILATOR_C", "Verilator $c() embeds host C++"),
    (re.compile(r"`systemc_\w+"), "VERILATOR_C", "`systemc_* directives embed host C++"),
    (re.compile(r"`verilator_config\b"), "VERILATOR_CONFIG", "inline Verilator configuration is not allowed"),
    (re.compile(r"\$(?:getenv|test\$plusargs|value\$plusargs)\b"), "HOST_QUERY", "reads the host environment"),
]
_INCLUDE = re.compile(r"`include\s+[\"<]([^\">]+)[\">]")
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def _strip_comments(text: str) -> str:
    # keep newlines so line numbers survive
    return _COMMENTS.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def scan_rtl(files: dict[str, str], allowed_includes: set[str] | None = None) -> list[Diagnostic]:
    """Findings (all severity 'error') for one bundle of files (name -> text).

    ``allowed_includes`` are bare file names inside the bundle; any other include (absolute, with a
    folder, or unknown) is rejected.
    """
    allowed = set(files) | (allowed_includes or set())
    findings = []
    for name, text in files.items():
        if Path(name).name != name or name.startswith("."):
            findings.append(Diagnostic(tool="security", severity="error", file=name, code="BAD_FILENAME",
                                       message=f"file name {name!r} must be a plain name inside the run folder"))
            continue
        clean = _strip_comments(text)
        for lineno, line in enumerate(clean.splitlines(), start=1):
            for pat, code, why in _FORBIDDEN:
                m = pat.search(line)
                if m:
                    findings.append(Diagnostic(tool="security", severity="error", file=name, line=lineno, code=code,
                                               message=f"{m.group(0).strip()!r}: {why}"))
            for m in _INCLUDE.finditer(line):
                target = m.group(1)
                if target not in allowed or Path(target).name != target:
                    findings.append(Diagnostic(
                        tool="security", severity="error", file=name, line=lineno, code="INCLUDE_OUTSIDE",
                        message=f"`include {target!r} is not a file of this design; only bundle files may be included"))
    return findings


def check_rtl(files: dict[str, str]) -> None:
    """Raise UnsafeRTL (first finding in the message) when the scan finds anything."""
    findings = scan_rtl(files)
    if findings:
        raise UnsafeRTL(f"RTL rejected by security scan: {findings[0].one_line()}"
                        + (f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""))
