"""Mutation operators: single-edit mutants of any RTL (operator flips, constant and width changes, inverted
conditions, stuck ready/valid, swapped port connections) and the bug classes people write in ready/valid RTL
(a register left out of reset, valid waiting for ready, idle-cycle enables, stalls ignored)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    line: int
    operator: str
    original: str
    replacement: str
    start: int   # character offset of the edit in the file
    end: int

    def apply(self, files: dict[str, str]) -> dict[str, str]:
        text = files[self.file]
        return {**files, self.file: text[: self.start] + self.replacement + text[self.end:]}

    def describe(self) -> str:
        return f"{self.file}:{self.line} {self.operator}: {self.original.strip()!r} -> {self.replacement.strip()!r}"


_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_BINARY_FLIPS = {"&&": "||", "||": "&&", "==": "!=", "!=": "==", "+": "-", "-": "+", ">=": ">", ">": ">=",
                 "<": "<=", "&": "|", "|": "&", "^": "~^", ">>>": ">>", "<<": ">>", ">>": "<<"}
# a binary operator surrounded by spaces (the templates' style); '<=' is left alone (non-blocking assignment)
_BINARY = re.compile(r"(?<=\s)(&&|\|\||==|!=|>>>|<<|>>|>=|>|<|\+|-|&|\||\^)(?=\s)")
_SIZED = re.compile(r"\b(\d+)'(s?)([bdh])([0-9a-fA-F]+)\b")
_BARE_INT = re.compile(r"(?<![\w'.])(\d+)(?![\w'])")
_DECL_WIDTH = re.compile(r"^\s*(?:wire|reg)\b[^;\[]*\[([^\]:]+):0\]")
_IF = re.compile(r"\bif\s*\(")
_HANDSHAKE = re.compile(r"^\s*assign\s+(\w*(?:ready|valid))\s*=\s*([^;]+);")
_PORT_CONN = re.compile(r"\.(\w+)\(([^()]*)\)")


def _blank_comments(text: str) -> str:
    """Comments replaced by spaces of the same length, so offsets and lines still match the source."""
    return _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _brackets_mask(code: str) -> list[bool]:
    """True at offsets inside [...] (part-selects and ranges: mutated as widths, not as operators)."""
    mask, depth = [], 0
    for ch in code:
        depth += ch == "["
        mask.append(depth > 0)
        depth -= ch == "]" and depth > 0
    return mask


def _balanced(code: str, open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(code)):
        depth += {"(": 1, ")": -1}.get(code[k], 0)
        if depth == 0:
            return k
    return -1


def _edits(name: str, code: str) -> list[tuple[str, int, int, str]]:
    """(operator, start, end, replacement) for every mutation point of one file."""
    out: list[tuple[str, int, int, str]] = []
    inside = _brackets_mask(code)
    # parameter defaults are always overridden by the generated top; loop headers only hang the compiler
    skip_lines = {i for i, ln in enumerate(code.splitlines())
                  if re.match(r"\s*(parameter|module|genvar|integer|`)", ln) or re.search(r"\bfor\s*\(", ln)}
    line_of = [0]
    for ch in code:
        line_of.append(line_of[-1] + (ch == "\n"))

    def ok(pos: int) -> bool:
        return line_of[pos] not in skip_lines and not inside[pos]

    for m in _BINARY.finditer(code):
        if ok(m.start()):
            out.append(("operator_flip", m.start(), m.end(), _BINARY_FLIPS[m.group(1)]))
    for m in re.finditer(r"(?<![!=<>])!(?!=)|~(?![&|^])", code):
        if ok(m.start()):
            out.append(("negation_drop", m.start(), m.end(), ""))
    for m in _SIZED.finditer(code):
        if not ok(m.start()):
            continue
        width, sign, base, digits = m.groups()
        value = int(digits, {"b": 2, "d": 10, "h": 16}[base])
        new = (value + 1) % (1 << int(width))
        out.append(("constant_change", m.start(), m.end(), f"{width}'{sign}d{new}"))
    for m in _BARE_INT.finditer(code):
        if ok(m.start()) and not code[: m.start()].rstrip().endswith(("#", "+:")):
            out.append(("constant_change", m.start(), m.end(), str(int(m.group(1)) + 1)))
    offset = 0
    for ln in code.splitlines(keepends=True):
        dm = _DECL_WIDTH.match(ln)
        if dm and line_of[offset] not in skip_lines:
            out.append(("width_change", offset + dm.start(1), offset + dm.end(1), f"({dm.group(1)})-1"))
        hm = _HANDSHAKE.match(ln)
        if hm:
            for stuck in ("1'b1", "1'b0"):
                out.append(("stuck_handshake", offset + hm.start(2), offset + hm.end(2), stuck))
        offset += len(ln)
    for m in _IF.finditer(code):
        close = _balanced(code, m.end() - 1)
        if close > 0 and ok(m.start()):
            out.append(("inverted_condition", m.end() - 1, close + 1, f"(!{code[m.end() - 1:close + 1]})"))
    conns = [m for m in _PORT_CONN.finditer(code) if ok(m.start())]
    for a, b in zip(conns, conns[1:]):
        if a.group(2).strip() and b.group(2).strip() and "\n" not in code[a.end():b.start()].strip(", "):
            span = code[a.start(): b.end()]
            swapped = span.replace(f"({a.group(2)})", "(\0)", 1).replace(f"({b.group(2)})", f"({a.group(2)})", 1)
            out.append(("swapped_ports", a.start(), b.end(), swapped.replace("(\0)", f"({b.group(2)})")))
    return out


# Bug classes: the slips people make in ready/valid RTL (a register left out of reset, valid waiting for ready,
# idle-cycle data taken, a stall ignored), as operators on any RTL. Reported apart from the classic operators.
BUG_CLASS_OPERATORS = frozenset({"reset_removal", "valid_waits_ready", "idle_enable", "stall_ignored"})
_RESET_IF = re.compile(r"\bif\s*\(\s*(?:!|~)\s*(\w*(?:rst|reset)\w*)\s*\)")
_NB_ASSIGN = re.compile(r"\b([A-Za-z_]\w*)(?:\s*\[[^\]]*\])*\s*<=\s*([^;]+);")
_PORT = re.compile(r"\b(input|output)\s+(?:wire\s+|reg\s+|logic\s+)?(?:signed\s+)?(?:\[[^\]]*\]\s*)?(\w+)")
_ZERO = re.compile(r"\s*(?:\d*'[bdh]0+|0|'0|1'b0)\s*")


def _paren_depth(code: str) -> list[int]:
    depth, out = 0, []
    for ch in code:
        depth += ch == "("
        out.append(depth)
        depth -= ch == ")" and depth > 0
    return out


def _statement_end(code: str, at: int, depth: list[int]) -> int:
    """End offset (exclusive) of the statement starting at ``at``: a begin/end block or up to its ';'."""
    m = re.compile(r"\s*begin\b").match(code, at)
    if m:
        level = 0
        for w in re.finditer(r"\b(begin|end)\b", code[at:]):
            level += 1 if w.group(1) == "begin" else -1
            if level == 0:
                return at + w.end()
        return -1
    semi = at
    while semi < len(code) and not (code[semi] == ";" and depth[semi] == depth[at]):
        semi += 1
    return semi + 1 if semi < len(code) else -1


def _drop_statement(code: str, start: int, end: int) -> tuple[int, int, str]:
    """(start, end, replacement) deleting the statement: its whole line when it stands alone, and an empty
    ``begin end`` where the statement is the body of an if/else/for/case item (not one of a block's statements)."""
    before = code[:start].rstrip()
    if not (before.endswith(";") or re.search(r"\b(begin|end)$", before)):
        return start, end, "begin end"
    line_start = code.rfind("\n", 0, start) + 1
    line_end = code.find("\n", end)
    if not code[line_start:start].strip() and not code[end:line_end if line_end >= 0 else len(code)].strip():
        return line_start, (line_end + 1 if line_end >= 0 else len(code)), ""
    return start, end, ""


def _handshakes(code: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(source pairs, sink pairs) of (valid, ready) port names: a source's valid is an input, a sink's an output."""
    ports = {m.group(2): m.group(1) for m in _PORT.finditer(code)}
    source, sink = [], []
    for name, direction in ports.items():
        if name.endswith("valid") and (ready := name[: -len("valid")] + "ready") in ports:
            if direction == "input" and ports[ready] == "output":
                source.append((name, ready))
            elif direction == "output" and ports[ready] == "input":
                sink.append((name, ready))
    return source, sink


def _bug_class_edits(code: str) -> list[tuple[str, int, int, str]]:
    """(operator, start, end, replacement) for every bug-class mutation point of one file."""
    out: list[tuple[str, int, int, str]] = []
    depth = _paren_depth(code)
    decl = {i for i, ln in enumerate(code.splitlines()) if re.match(r"\s*(input|output|inout|module|parameter)\b", ln)}
    line_of = [0]
    for ch in code:
        line_of.append(line_of[-1] + (ch == "\n"))
    # reset_removal: one register's assignment dropped from a reset branch (it keeps its value across reset)
    for m in _RESET_IF.finditer(code):
        body_end = _statement_end(code, m.end(), depth)
        for a in _NB_ASSIGN.finditer(code, m.end(), max(body_end, m.end())):
            if depth[a.start()] == depth[m.start()]:  # a statement, not a '<=' inside a condition or loop header
                out.append(("reset_removal", *_drop_statement(code, a.start(), a.end())))
    source, sink = _handshakes(code)
    for valid, ready in sink:  # valid_waits_ready: an output valid, assigned or registered, gated by its ready
        for m in re.finditer(rf"\bassign\s+{valid}\s*=\s*([^;]+);", code):
            out.append(("valid_waits_ready", m.start(1), m.end(1), f"({m.group(1).strip()}) && {ready}"))
        for m in re.finditer(rf"\b{valid}\s*<=\s*([^;]+);", code):
            if depth[m.start()] == 0 and not _ZERO.fullmatch(m.group(1)):
                out.append(("valid_waits_ready", m.start(1), m.end(1), f"({m.group(1).strip()}) && {ready}"))
    for valid, ready in source:  # idle_enable: an accept term loses its valid: idle-cycle data is taken
        pair = re.compile(rf"\b{valid}\s*&&\s*{ready}\b|\b{ready}\s*&&\s*{valid}\b")
        fires = {f.group(1) for f in re.finditer(rf"\b(?:wire|assign)\s+(\w+)\s*=\s*\(?\s*(?:{pair.pattern})\s*\)?\s*;", code)}
        for m in pair.finditer(code):
            out.append(("idle_enable", m.start(), m.end(), ready))
        for f in fires:
            for m in re.finditer(rf"\b{f}\b", code):
                if not re.match(r"\s*=[^=]", code[m.end():]) and not re.search(r"\bwire\s*$", code[:m.start()]):
                    out.append(("idle_enable", m.start(), m.end(), ready))
    for valid, ready in sink:  # stall_ignored: one use of the sink's ready taken as always high
        for m in re.finditer(rf"\b{ready}\b", code):
            in_port_conn = code[m.start() - 1] == "." or re.search(r"\.\w+\s*\(\s*$", code[:m.start()])
            if line_of[m.start()] not in decl and not in_port_conn:  # a port's name and its connection stay
                out.append(("stall_ignored", m.start(), m.end(), "1'b1"))
    return list(dict.fromkeys(out))  # a fire wire's use can also be a valid && ready pair's: one mutant each


def generate_mutants(files: dict[str, str], *, max_mutants: int | None = None, seed: int = 0) -> list[Mutant]:
    """Every single-edit mutant of the bundle (or a deterministic sample stratified by operator).

    Classic mutants come first, file by file, then the bug-class ones (``BUG_CLASS_OPERATORS``), so the classic
    mutants keep the ids they had before the bug classes existed."""
    mutants = []
    for edits in (_edits, lambda name, code: _bug_class_edits(code)):
        for name in sorted(files):
            text = files[name]
            code = _blank_comments(text)
            for op, start, end, repl in edits(name, code):
                original = text[start:end]
                if original == repl:
                    continue
                line = text.count("\n", 0, start) + 1
                mutants.append(Mutant(f"m{len(mutants):04d}", name, line, op, original, repl, start, end))
    if max_mutants is not None and len(mutants) > max_mutants:
        rng = random.Random(seed)
        by_op: dict[str, list[Mutant]] = {}
        for m in mutants:
            by_op.setdefault(m.operator, []).append(m)
        for group in by_op.values():
            rng.shuffle(group)
        picked: list[Mutant] = []
        while len(picked) < max_mutants:  # round-robin over operators keeps every kind represented
            for group in by_op.values():
                if group and len(picked) < max_mutants:
                    picked.append(group.pop())
        mutants = sorted(picked, key=lambda m: m.id)
    return mutants


