"""RTL as per-line token lists (pygments) and iteration diffs, for templates that escape every piece."""

from __future__ import annotations

import difflib

from pygments.lexers import SystemVerilogLexer, VerilogLexer
from pygments.token import STANDARD_TYPES

MAX_HIGHLIGHT_LINES = 20_000  # past this, plain text: the lexer would dominate page time
MAX_DIFF_INPUT_LINES = 5_000  # difflib is quadratic at worst: larger files link to the raw text instead
MAX_DIFF_LINES = 2_000        # lines of one file's diff shown on the page


def highlight_lines(name: str, text: str) -> list[list[tuple[str, str]]]:
    """[[(css class, text), ...] per line]; the caller escapes the text."""
    lines: list[list[tuple[str, str]]] = [[]]
    if text.count("\n") > MAX_HIGHLIGHT_LINES:
        return [[("", line)] for line in text.splitlines()]
    lexer = SystemVerilogLexer() if name.endswith((".sv", ".svh")) else VerilogLexer()
    for ttype, value in lexer.get_tokens(text):
        while ttype not in STANDARD_TYPES and ttype.parent is not None:
            ttype = ttype.parent
        cls = STANDARD_TYPES.get(ttype, "")
        parts = value.split("\n")
        for j, part in enumerate(parts):
            if j:
                lines.append([])
            if part:
                lines[-1].append((cls, part))
    if lines and not lines[-1] and text.endswith("\n"):
        lines.pop()
    return lines


def diff_files(old: dict[str, str], new: dict[str, str], old_name: str, new_name: str, raw=None) -> list[dict]:
    """One entry per changed file: {file, lines: [(kind, text)], note, links} with kind in add/del/hunk/ctx.
    Files too large to diff here, and diffs too long to show, carry a note and links to the raw files
    (``raw(iteration name, file) -> URL``)."""
    out = []
    for fname in sorted(set(old) | set(new)):
        a, b = old.get(fname, ""), new.get(fname, "")
        if a == b:
            continue
        links = [(n, raw(n, fname)) for n, t in ((old_name, a), (new_name, b)) if t] if raw else []
        if max(a.count("\n"), b.count("\n")) > MAX_DIFF_INPUT_LINES:
            out.append({"file": fname, "lines": [], "links": links,
                        "note": f"over {MAX_DIFF_INPUT_LINES:,} lines: not diffed here; compare the raw files"})
            continue
        lines = []
        for line in difflib.unified_diff(a.splitlines(), b.splitlines(), f"{old_name}/{fname}",
                                         f"{new_name}/{fname}", lineterm="", n=3):
            if line.startswith(("---", "+++")):
                continue
            kind = "hunk" if line.startswith("@@") else "add" if line[:1] == "+" else "del" if line[:1] == "-" else "ctx"
            lines.append((kind, line))
        note = ""
        if len(lines) > MAX_DIFF_LINES:
            note = f"diff cut at {MAX_DIFF_LINES:,} of {len(lines):,} lines; the raw files hold the rest"
            lines = lines[:MAX_DIFF_LINES]
        out.append({"file": fname, "lines": lines, "note": note, "links": links})
    return out
