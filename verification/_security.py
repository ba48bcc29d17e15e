"""Security scan of untrusted RTL: the source as written, and the text each tool's preprocessor makes of it.

Simulators compile Verilog into host programs, so some constructs reach the host: system tasks that run
commands or touch files, DPI and Verilator's inline C++, and includes that read outside the run folder. The
scan rejects them with one line naming file, line and construct, before any tool builds. It is not the wall
(the OS sandbox in ``accelsmith.sandbox`` is); it explains rejections early and catches what a design has no
business writing.

- System tasks are checked against an allowlist: what a synthesisable design or its assertions may call.
  A name assembled by the preprocessor (token pasting, a macro whose body is the name) is seen in the
  preprocessed text, which Verilator's and Icarus' own preprocessors produce inside the sandbox with the
  defines each tool sets (so an ``ifdef __ICARUS__`` branch is scanned as Icarus will compile it).
- The lexer knows strings, so ``"//"`` or ``"/*"`` inside a string never hides the rest of a line.
- Every pass is one linear scan of the text, and texts are capped in size.
"""

from __future__ import annotations

import re
from pathlib import Path

from accelsmith.diagnostics import Diagnostic
from accelsmith.errors import UnsafeRTL

MAX_FILE_BYTES = 1 << 20
MAX_BUNDLE_BYTES = 4 << 20
MAX_FILES = 64
MAX_PREPROCESSED_MB = 64

ALLOWED_TASKS = frozenset("""
display displayb displayh displayo write writeb writeh writeo strobe strobeb strobeh strobeo
monitor monitorb monitorh monitoro monitoron monitoroff finish stop fatal error warning info
time stime realtime timeformat printtimescale
signed unsigned cast itor rtoi bitstoreal realtobits shortrealtobits bitstoshortreal
clog2 ln log10 exp sqrt pow floor ceil sin cos tan asin acos atan atan2 hypot sinh cosh tanh asinh acosh atanh
bits countbits countones onehot onehot0 isunknown dimensions unpacked_dimensions left right low high increment size
random urandom urandom_range dist_uniform dist_normal
past rose fell stable changed sampled assertoff asserton assertkill assertcontrol
sformat sformatf typename
""".split())
_WHY = {
    "system": ("SYSTEM_TASK", "runs a host shell command"),
    **{t: ("FILE_IO", "file I/O touches host files") for t in (
        "fopen fclose fwrite fwriteb fwriteh fwriteo fdisplay fdisplayb fdisplayh fdisplayo fstrobe fmonitor "
        "fscanf sscanf fgets fgetc ungetc fread fputc fflush feof ferror fseek ftell rewind").split()},
    **{t: ("FILE_IO", "memory and dump files touch host paths") for t in (
        "readmemb readmemh writememb writememh dumpfile dumpvars dumpports sdf_annotate").split()},
    **{t: ("HOST_QUERY", "reads the host environment") for t in ("getenv", "test$plusargs", "value$plusargs")},
    **{t: ("VERILATOR_C", "Verilator $c() embeds host C++") for t in ("c", "cpure", "c0", "c1", "c2")},
}
_DIRECTIVE_WHY = {
    "verilator_config": ("VERILATOR_CONFIG", "inline Verilator configuration is not allowed"),
    "pragma": ("PRAGMA", "`pragma (protected envelopes, tool pragmas) is not allowed"),
}
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\.(?:v|sv|vh|svh)")
# one token per match; comments and strings are whole tokens, so nothing inside them is ever misread
_TOKEN = re.compile(r"""
    (?P<lc>//[^\n]*)
  | (?P<bc>/\*(?:[^*]|\*(?!/))*(?:\*/)?)
  | (?P<str>"(?:[^"\\\n]|\\.)*"?)
  | (?P<task>\$[A-Za-z0-9_$]+)
  | (?P<paste>``)
  | (?P<dir>`[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<esc>\\[^\s]+)
  | (?P<id>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<nl>\n)
  | (?P<ws>[ \t\r\f\v]+)
  | (?P<other>.)
""", re.X | re.S)
_DPI = re.compile(r"DPI(?:-C|-SC)?", re.I)
_LINE_DIRECTIVE = re.compile(r"`line\s+(\d+)\s+\"([^\"\n]*)\"")


def code_only(text: str) -> str:
    """``text`` with comments and string literals blanked (newlines kept): one linear pass of the scan's lexer."""
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        # a string may hold a backslash-newline (a continued line): its newlines stay, so line numbers hold
        out.append("\n" * m.group().count("\n") if kind in ("lc", "bc") else
                   '""' + "\n" * m.group().count("\n") if kind == "str" else m.group())
    return "".join(out)


def _finding(file: str | None, line: int | None, code: str, message: str, tool: str = "security") -> Diagnostic:
    return Diagnostic(tool=tool, severity="error", file=file, line=line, code=code, message=message)


def scan_text(name: str, text: str, allowed: set[str], *, tool: str = "security", preprocessed: bool = False,
              ) -> list[Diagnostic]:
    """Findings for one text. With ``preprocessed`` the text is a preprocessor's output: its `line directives
    name the original file and line, and includes are already resolved."""
    findings: list[Diagnostic] = []
    file, line = name, 1
    pending: tuple[str, int] | None = None  # ("include", line) awaiting the include's operand
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        tok = m.group()
        if kind in ("ws", "lc"):
            continue
        if kind == "nl":
            line += 1
            continue
        if kind == "bc":
            line += tok.count("\n")
            continue
        if pending is not None:
            what, at = pending
            pending = None
            if what == "include":
                if kind != "str" or not tok.endswith('"') or len(tok) < 2:
                    findings.append(_finding(file, at, "INCLUDE_COMPUTED", f"`include of {tok!r}: an include must "
                                             "name a file of this design in double quotes", tool))
                else:
                    target = tok[1:-1]
                    if target not in allowed or Path(target).name != target:
                        findings.append(_finding(file, at, "INCLUDE_OUTSIDE", f"`include {target!r} is not a file "
                                                 "of this design; only bundle files may be included", tool))
        if kind == "task":
            base = tok[1:]
            if base not in ALLOWED_TASKS:
                code, why = _WHY.get(base, ("SYSTEM_TASK", "not a system task a design may call"))
                findings.append(_finding(file, line, code, f"{tok!r}: {why}", tool))
        elif kind == "dir":
            d = tok[1:]
            if d == "line" and preprocessed:
                lm = _LINE_DIRECTIVE.match(text, m.start())
                if lm:
                    file, line = Path(lm.group(2)).name or name, int(lm.group(1)) - 1
                continue
            if d == "include" and not preprocessed:
                pending = ("include", line)
            elif d.startswith("systemc_"):
                findings.append(_finding(file, line, "VERILATOR_C", f"`{d} embeds host C++", tool))
            elif d in _DIRECTIVE_WHY:
                code, why = _DIRECTIVE_WHY[d]
                findings.append(_finding(file, line, code, why, tool))
        elif kind == "paste" and not preprocessed:
            findings.append(_finding(file, line, "TOKEN_PASTE", "macro token pasting (``) can assemble names the "
                                     "scan cannot read; write the name out", tool))
        elif kind == "str" and _DPI.fullmatch(tok.strip('"').strip()):
            findings.append(_finding(file, line, "DPI", "DPI imports and exports call host C code", tool))
    return findings


def scan_rtl(files: dict[str, str], allowed_includes: set[str] | None = None) -> list[Diagnostic]:
    """Findings (all severity 'error') for one bundle of files (name -> text), as written.

    ``allowed_includes`` are bare file names inside the bundle; any other include (absolute, with a
    folder, computed by a macro, or unknown) is rejected.
    """
    allowed = set(files) | (allowed_includes or set())
    findings = []
    if len(files) > MAX_FILES:
        return [_finding(None, None, "TOO_LARGE", f"{len(files)} files, over the limit of {MAX_FILES}")]
    total = sum(len(t) for t in files.values())
    if total > MAX_BUNDLE_BYTES:
        return [_finding(None, None, "TOO_LARGE", f"the design is {total:,} characters, over the limit of "
                                                  f"{MAX_BUNDLE_BYTES:,}")]
    for name, text in files.items():
        if not _FILE_NAME.fullmatch(name):
            findings.append(_finding(name[:80], None, "BAD_FILENAME", f"file name {name[:80]!r} must be a plain "
                                     "name inside the run folder (letters, digits, _ . -; ending .v, .sv, .vh or .svh)"))
            continue
        if len(text) > MAX_FILE_BYTES:
            findings.append(_finding(name, None, "TOO_LARGE", f"{len(text):,} characters, over the per-file limit "
                                                              f"of {MAX_FILE_BYTES:,}"))
            continue
        findings += scan_text(name, text, allowed)
    return findings


def check_rtl(files: dict[str, str]) -> None:
    """Raise UnsafeRTL (first finding in the message) when the scan finds anything."""
    _raise(scan_rtl(files))


def _raise(findings: list[Diagnostic]) -> None:
    if findings:
        raise UnsafeRTL(f"RTL rejected by security scan: {findings[0].one_line()}"
                        + (f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""))


# --- what each tool's preprocessor makes of the sources (run in the sandbox) -------------------------------------

def _pp_command(tool: str, sources: list[Path], out: Path) -> list[str]:
    from accelsmith.tools import require

    incdirs = sorted({str(Path(s).resolve().parent) for s in sources})
    if tool == "verilator":
        return [require("verilator"), "-E", *[f"-I{d}" for d in incdirs], *[str(s) for s in sources]]
    if tool == "icarus":
        return [require("iverilog"), "-E", "-g2012", "-o", str(out), *[f"-I{d}" for d in incdirs],
                *[str(s) for s in sources]]
    if tool == "yosys":  # yosys' own preprocessor is not callable apart; Verilator's with yosys' defines
        return [require("verilator"), "-E", "-DYOSYS", "-DSYNTHESIS", *[f"-I{d}" for d in incdirs],
                *[str(s) for s in sources]]
    raise ValueError(f"no preprocessor for {tool!r}")


def scan_preprocessed(sources: list[Path], workdir: Path, tools: tuple[str, ...] = ("verilator", "icarus"),
                      timeout_s: float = 60.0) -> list[Diagnostic]:
    """Findings in the text each tool's preprocessor produces from ``sources`` (sandboxed, size-capped).

    A preprocessor that fails (a missing include, a syntax error) yields one error diagnostic from that tool;
    one that runs away (endless expansion, an include of a device) is killed at its limits.
    """
    from accelsmith import sandbox
    from accelsmith.tools import tool_env

    findings: list[Diagnostic] = []
    names = {Path(s).name for s in sources}
    readable = sorted({Path(s).resolve().parent for s in sources})
    for tool in tools:
        folder = Path(workdir) / f"preprocess_{tool}"
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / "preprocessed.v"
        out.unlink(missing_ok=True)
        log = folder / "preprocess.log"
        cmd = _pp_command(tool, sources, out)
        if tool in ("verilator", "yosys"):
            log = out  # verilator -E writes the text to stdout
        res = sandbox.run(cmd, cwd=folder, readable=readable, env=tool_env(), log=log,
                          limits=sandbox.Limits(wall_s=timeout_s, memory_mb=2048, file_mb=MAX_PREPROCESSED_MB,
                                                disk_mb=2 * MAX_PREPROCESSED_MB))
        label = f"{tool} preprocessor"
        if res.killed:
            findings.append(_finding(None, None, "PREPROCESS_LIMIT", res.describe(label) + " (an endless macro "
                                     "expansion or an include of something that is not a file of this design)", tool))
            continue
        text = sandbox.read_capped(out, MAX_PREPROCESSED_MB << 20) if out.exists() else ""
        if res.returncode != 0:
            msg = sandbox.read_capped(log, 64 << 10) if log != out else text[-4000:]
            first = next((ln.strip() for ln in msg.splitlines() if "rror" in ln), "") or res.describe(label)
            findings.append(_finding(None, None, "PREPROCESS", f"{label} failed: {first[:300]}", tool))
            continue
        # Icarus writes no `line directives: with one source its lines are that file's lines
        shown = Path(sources[0]).name if len(sources) == 1 else f"{tool}-preprocessed.v"
        findings += [d.model_copy(update={"message": f"after {tool}'s preprocessor: {d.message}"})
                     for d in scan_text(shown, text, names, tool=f"security({tool})", preprocessed=True)]
    return findings


def refusals(findings: list[Diagnostic]) -> list[Diagnostic]:
    """The findings of ``scan_preprocessed`` that refuse the design (a construct the scan forbids, a preprocessor
    killed at its limits); a preprocessor's own error is left for lint to report."""
    return [d for d in findings if d.tool.startswith("security") or d.code == "PREPROCESS_LIMIT"]


def guard(sources: list[Path], workdir: Path, tools: tuple[str, ...]) -> None:
    """Raise UnsafeRTL unless ``sources`` pass the scan as written and as ``tools`` preprocess them."""
    files = {}
    for s in sources:
        s = Path(s)
        size = s.stat().st_size
        if size > MAX_FILE_BYTES:
            _raise([_finding(s.name, None, "TOO_LARGE", f"{size:,} bytes, over the per-file limit of {MAX_FILE_BYTES:,}")])
        files[s.name] = s.read_text(errors="replace")
    _raise(scan_rtl(files))
    _raise(refusals(scan_preprocessed(sources, workdir, tools)))
