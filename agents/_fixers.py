"""Mechanical fixes: deterministic rewrites of a drafted module, keyed on the diagnostic codes of the mistakes small
code models make (a net driven in a procedural block, JSON's ``true``/``false``/``null``, a port declared again in
the body, an instance without a name, a module whose ``endmodule`` was never written, a clock edge on a signal the
module does not have).

A fixer sees one file's text and the diagnostics on it and returns new text, or the same text when it has nothing
to do. ``apply_fixers`` keeps a fixer's edit only when re-linting shows fewer of the errors it answers and fewer errors
in all: a fix that does not clear its diagnostic is undone. The model is asked
again only for what no fixer cleared.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from accelsmith.diagnostics import Diagnostic
from accelsmith.registry import Registry


@dataclass(frozen=True)
class Fixer:
    name: str
    codes: frozenset[str]     # diagnostic codes it answers (pyslang / verilator / the reply extractor)
    messages: tuple[str, ...]  # or message fragments, for tools that give no code
    rewrite: Callable[..., str]  # (text, diags) -> text; with ``params``: (text, diags, params) -> text
    params: bool = False       # it needs the spec's parameter values (``BlockSpec.rtl_params``)

    def answers(self, d: Diagnostic) -> bool:
        return d.severity == "error" and ((d.code or "") in self.codes or any(m in d.message for m in self.messages))


FIXERS: Registry[Fixer] = Registry("fixer")


def fixer(name: str, codes: tuple[str, ...] = (), messages: tuple[str, ...] = (), params: bool = False):
    def wrap(fn: Callable[..., str]) -> Fixer:
        return FIXERS.register(name, Fixer(name, frozenset(codes), messages, fn, params))
    return wrap


_ID = r"[A-Za-z_][A-Za-z0-9_$]*"
_QUOTED = re.compile(r"[`']([A-Za-z_][A-Za-z0-9_$]*)'")  # pyslang 'name', Icarus `name'


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _named(d: Diagnostic) -> str | None:
    m = _QUOTED.search(d.message)
    return m.group(1) if m else None


def _strip_comment(line: str) -> str:
    return line.split("//", 1)[0]


# --- a net driven in a procedural block -> a variable (reg) ----------------------------------------------------------

_PROC_LHS = re.compile(rf"(?:^|[\s;(])({_ID})\s*(?:\[[^\]]*\]\s*)*(?:<=|=)(?!=)")


def _procedural_targets(text: str, diags: list[Diagnostic]) -> set[str]:
    names: set[str] = set()
    lines = _lines(text)
    for d in diags:
        named = _named(d)
        if named and "wire" in d.message.lower():  # verilator PROCASSWIRE names it
            names.add(named)
        elif d.line and 1 <= d.line <= len(lines):  # pyslang AssignToNet gives the line: its left-hand sides
            code = _strip_comment(lines[d.line - 1])
            for m in _PROC_LHS.finditer(code):
                if m.group(1) not in ("if", "for", "while", "case", "assign"):
                    names.add(m.group(1))
    return names


def _declare_as_reg(text: str, name: str) -> str:
    lines = _lines(text)
    word = re.compile(rf"\b{re.escape(name)}\b")
    for i, line in enumerate(lines):
        code = _strip_comment(line)
        if not word.search(code):
            continue
        # ANSI port: output [wire] [range] name
        port = re.match(rf"^(\s*output\s+)(wire\s+|logic\s+)?((?:signed\s+)?(?:\[[^\]]*\]\s*)?)"
                        rf"({_ID}\s*(?:,|\)|$).*)$", line)
        if port and re.match(rf"{re.escape(name)}\b", port.group(4)):
            lines[i] = f"{port.group(1)}reg {port.group(3)}{port.group(4)}"
            return "\n".join(lines)
        decl = re.match(rf"^(\s*)wire(\s+(?:signed\s+)?(?:\[[^\]]*\]\s*)?)([^;=]*);(.*)$", line)
        if decl:
            names = [n.strip() for n in decl.group(3).split(",")]
            if name in names:
                rest = [n for n in names if n != name]
                out = f"{decl.group(1)}reg{decl.group(2)}{name};{decl.group(4)}"
                if rest:
                    out += f"\n{decl.group(1)}wire{decl.group(2)}{', '.join(rest)};"
                lines[i] = out
                return "\n".join(lines)
    return text


@fixer("net_to_reg", codes=("AssignToNet", "PROCASSWIRE"), messages=("Procedural assignment to wire",))
def net_to_reg(text: str, diags: list[Diagnostic]) -> str:
    for name in sorted(_procedural_targets(text, diags)):
        text = _declare_as_reg(text, name)
    return text


# --- JSON literals -> Verilog -----------------------------------------------------------------------------------------

_JSON = {"true": "1'b1", "false": "1'b0", "null": "0", "True": "1'b1", "False": "1'b0", "None": "0"}


@fixer("json_literals", codes=("UndeclaredIdentifier",), messages=("Can't find definition of variable",))
def json_literals(text: str, diags: list[Diagnostic]) -> str:
    words = {w for d in diags if (w := _named(d)) in _JSON}
    if not words:
        return text
    pat = re.compile(r"\b(" + "|".join(sorted(words)) + r")\b")
    out = []
    for line in _lines(text):
        code, sep, comment = line.partition("//")
        out.append(pat.sub(lambda m: _JSON[m.group(1)], code) + sep + comment)
    return "\n".join(out)


# --- a port declared again in the body -> one declaration ----------------------------------------------------------

_BODY_DECL = re.compile(rf"^\s*(reg|wire|logic)\b\s*(?:signed\s+)?(?:\[[^\]]*\]\s*)?({_ID})\s*;\s*(//.*)?$")


@fixer("duplicate_declaration", codes=("Redefinition", "DuplicateDefinition"), messages=("Duplicate declaration of",))
def duplicate_declaration(text: str, diags: list[Diagnostic]) -> str:
    names = {n for d in diags if (n := _named(d))}
    lines = _lines(text)
    for name in sorted(names):
        seen_port = None
        for i, line in enumerate(lines):
            code = _strip_comment(line)
            if seen_port is None and re.match(rf"^\s*(input|output|inout)\b.*\b{re.escape(name)}\b", code):
                seen_port = i
                continue
            m = _BODY_DECL.match(line)
            if seen_port is not None and m and m.group(2) == name:
                lines[i] = None  # the port already declares it
                if m.group(1) == "reg" and re.match(r"^\s*output\b", lines[seen_port]) \
                        and not re.search(r"\b(reg|logic)\b", lines[seen_port]):
                    lines[seen_port] = re.sub(r"^(\s*output)(\s+wire)?\b", r"\1 reg", lines[seen_port], count=1)
                break
    return "\n".join(ln for ln in lines if ln is not None)


# --- an instance without a name -> u_<module>_<line> ------------------------------------------------------------------

def _matching_paren(text: str, start: int) -> int:
    depth = 0
    for j in range(start, len(text)):
        if text[j] == "(":
            depth += 1
        elif text[j] == ")":
            depth -= 1
            if depth == 0:
                return j
    return -1


@fixer("instance_name", codes=("InstanceNameRequired",), messages=("instance name is required",))
def instance_name(text: str, diags: list[Diagnostic]) -> str:
    for ln in sorted({d.line for d in diags if d.line}, reverse=True):
        lines = _lines(text)
        if not 1 <= ln <= len(lines):
            continue
        at = ln - 1
        if lines[at].lstrip().startswith(("(", "#")) and at > 0:  # the module's name ends the line above
            at -= 1
        offset = sum(len(x) + 1 for x in lines[:at])
        m = re.compile(rf"[ \t]*({_ID})").match(text, offset)
        if not m:
            continue
        pos = m.end(1)
        after = text[pos:].lstrip()
        if after.startswith("#"):  # a parameter list first: the name goes after it
            open_at = text.find("(", pos)
            close = _matching_paren(text, open_at) if open_at >= 0 else -1
            if close < 0:
                continue
            pos = close + 1
            after = text[pos:].lstrip()
        if not after.startswith("("):
            continue
        gap = "" if text[pos] in " \t\n" else " "
        text = text[:pos] + f" u_{m.group(1)}_{ln}{gap}" + text[pos:]
    return text


# --- an indexed part-select written with a space: [i*W + : W] -> [i*W +: W] ------------------------------------------

_SPACED_SELECT = re.compile(r"([+-])\s+:(?=[^\[\]]*\])")


@fixer("part_select", codes=("ExpectedExpression",), messages=("syntax error, unexpected ':'",))
def part_select(text: str, diags: list[Diagnostic]) -> str:
    lines = _lines(text)
    for ln in {d.line for d in diags if d.line}:
        if 1 <= ln <= len(lines):
            code, sep, comment = lines[ln - 1].partition("//")
            lines[ln - 1] = _SPACED_SELECT.sub(r"\1:", code) + sep + comment
    return "\n".join(lines)


# --- a module body wrapped in begin ... end: `) begin ... end endmodule` -> `); ... endmodule` -------------------------

_MODULE = re.compile(rf"\bmodule\s+{_ID}\s*")
_BEGIN, _END = re.compile(r"\bbegin\b"), re.compile(r"\bend\b")


def _blank_comments(text: str) -> str:
    """``text`` with each ``//`` comment overwritten by spaces: the same offsets, no comment words."""
    return "\n".join(ln if "//" not in ln else ln[:ln.index("//")] + " " * (len(ln) - ln.index("//"))
                     for ln in _lines(text))


@fixer("module_begin", codes=("ExpectedToken", "UnexpectedEndDelim"), messages=("syntax error",))
def module_begin(text: str, diags: list[Diagnostic]) -> str:
    """The header's port list closed with ``) begin`` (a habit of Qwen2.5-Coder-1.5B): the ``begin`` becomes the
    header's ``;``, and when the body then has one ``end`` more than its ``begin``s, the last ``end`` before
    ``endmodule`` goes too."""
    code = _blank_comments(text)
    for m in reversed(list(_MODULE.finditer(code))):
        pos = m.end()
        if code[pos:pos + 1] == "#":  # parameters first
            open_at = code.find("(", pos)
            pos = _matching_paren(code, open_at) + 1 if open_at >= 0 else 0
            if pos <= 0:
                continue
            pos += len(code[pos:]) - len(code[pos:].lstrip())
        if code[pos:pos + 1] != "(":
            continue
        close = _matching_paren(code, pos)
        b = re.compile(r"\s*begin\b").match(code, close + 1) if close >= 0 else None
        e = code.find("endmodule", close + 1) if b else -1
        if e < 0:
            continue
        body = code[b.end():e]
        if len(_END.findall(body)) == len(_BEGIN.findall(body)) + 1:
            last = list(_END.finditer(code, b.end(), e))[-1]
            text = text[:last.start()] + text[last.end():]
        text = text[:close + 1] + ";" + text[b.end():]
        code = _blank_comments(text)
    return text


# --- an edge on a signal the module does not have -> combinational ----------------------------------------------------

_EVENT = re.compile(r"@\s*\(([^()]*)\)")


@fixer("undeclared_clock", codes=("UndeclaredIdentifier",), messages=("Unable to bind wire/reg/memory",))
def undeclared_clock(text: str, diags: list[Diagnostic]) -> str:
    """``always @(posedge clk)`` in a module with no ``clk`` (a combinational spec; the model primed itself with a
    clock): the event control becomes ``@(*)``. Only edges on names the tools report as undeclared are touched."""
    missing = {w for d in diags if (w := _named(d))}
    if not missing:
        return text

    def swap(m: re.Match) -> str:
        edges = re.findall(rf"\b(?:posedge|negedge)\s+({_ID})", m.group(1))
        return "@(*)" if edges and any(e in missing for e in edges) else m.group(0)
    out = []
    for line in _lines(text):
        code, sep, comment = line.partition("//")
        out.append(_EVENT.sub(swap, code) + sep + comment)
    return "\n".join(out)


# --- the spec's parameter names used as if declared -> localparams with the spec's values ----------------------------

_HEADER_END = re.compile(r"\)\s*;")


@fixer("spec_params", codes=("UndeclaredIdentifier",), messages=("Unable to bind wire/reg/memory",), params=True)
def spec_params(text: str, diags: list[Diagnostic], params: dict[str, int]) -> str:
    """``out_y = x < lo ? lo : x`` in a module without ``lo``: the model named the spec's parameter (a number in the
    prompt) as if it were declared. Each undeclared name that is a parameter of the spec (any case) gets a
    ``localparam`` with the spec's value right after the first module header."""
    by_name = {k.lower(): v for k, v in params.items()}
    missing = sorted({w for d in diags if (w := _named(d)) and w.lower() in by_name})
    head = _MODULE.search(text)
    end = _HEADER_END.search(text, head.end()) if head else None
    if not missing or end is None:
        return text
    decl = "".join(f"\n    localparam integer {w} = {by_name[w.lower()]};  // the spec's {w.lower()}" for w in missing)
    return text[:end.end()] + decl + text[end.end():]


# --- a JSON list copied into a localparam: localparam M = [5]; ... M[0] -> localparam M = 5; ... M ----------------------

_LIST_PARAM = re.compile(rf"^(\s*localparam\b[^=\[;]*?\b)({_ID})(\s*=\s*)\[\s*(-?\d+)\s*\]\s*;", re.M)


@fixer("list_localparam", codes=("ExpectedExpression", "PackedDimsRequireFullRange", "ImplicitNotAllowed"),
       messages=("syntax error, unexpected '['",))
def list_localparam(text: str, diags: list[Diagnostic]) -> str:
    """``localparam MULTIPLIERS = [1518500250];``: the spec's one-entry list copied as JSON (Qwen2.5-Coder-1.5B on
    the requant lane). The list becomes its one value, and ``MULTIPLIERS[0]`` the name alone."""
    lines = {d.line for d in diags if d.line}
    names = []

    def one(m: re.Match) -> str:
        if text.count("\n", 0, m.start(2)) + 1 not in lines:
            return m.group(0)
        names.append(m.group(2))
        return f"{m.group(1)}{m.group(2)}{m.group(3)}{m.group(4)};"

    text = _LIST_PARAM.sub(one, text)
    for name in names:
        text = re.sub(rf"\b{name}\s*\[\s*0\s*\]", name, text)
    return text


# --- a declaration after statements in a block -> at the start of that block ------------------------------------------

_BLOCK_DECL = re.compile(rf"^\s*(logic|reg|wire|integer|int|bit)\b[^=;()]*\b{_ID}\s*(,\s*{_ID}\s*)*;\s*(//.*)?$")


@fixer("declarations_at_start", codes=("DeclarationsAtStart",))
def declarations_at_start(text: str, diags: list[Diagnostic]) -> str:
    """``always @(*) begin ... p = 0; logic [3:0] q; ...``: SystemVerilog wants a block's declarations before its
    statements (pyslang names the first late one, Icarus each). Every declaration directly in a flagged block (none
    with an initial value: moving one would change when it is set) moves to just after its ``begin``, in order."""
    lines = _lines(text)
    flagged = sorted({d.line for d in diags if d.line and 1 <= d.line <= len(lines)})
    moves: dict[int, list[int]] = {}
    for ln in flagged:
        if not _BLOCK_DECL.match(lines[ln - 1]):
            continue
        depth, opener = 0, None
        for i in range(ln - 2, -1, -1):  # the begin that opens this line's block
            code = _strip_comment(lines[i])
            depth += len(_END.findall(code)) - len(_BEGIN.findall(code))
            if depth < 0:
                opener = i
                break
        if opener is None or opener in moves:
            continue
        depth, own = 0, []
        for i in range(opener + 1, len(lines)):  # the block's own declarations, up to its end
            code = _strip_comment(lines[i])
            if depth == 0 and _BLOCK_DECL.match(lines[i]):
                own.append(i)
            depth += len(_BEGIN.findall(code)) - len(_END.findall(code))
            if depth < 0:
                break
        moves[opener] = own
    if not moves:
        return text
    moved = {j for js in moves.values() for j in js}
    out = []
    for i, line in enumerate(lines):
        if i in moved:
            continue
        out.append(line)
        if i in moves:
            indent = re.match(r"\s*", line).group(0) + "    "
            out += [indent + lines[j].strip() for j in moves[i]]
    return "\n".join(out)


# --- a module whose endmodule was never written ---------------------------------------------------------------------

_OPENERS = re.compile(r"\b(begin|case|casez|casex|function|task|generate|fork)\b")
_CLOSERS = re.compile(r"\b(end|endcase|endfunction|endtask|endgenerate|join)\b")


def close_module(text: str) -> str | None:
    """``text`` + ``endmodule`` when its last module lacks one and the text stops at a finished statement (blocks
    balanced, last line ends a statement); None when the reply was cut off mid-statement."""
    code = "\n".join(_strip_comment(ln) for ln in _lines(text))
    modules, ends = len(re.findall(r"\bmodule\b", code)), len(re.findall(r"\bendmodule\b", code))
    if modules != ends + 1:
        return None
    tail = code[code.rfind("module"):]
    if len(_OPENERS.findall(tail)) != len(_CLOSERS.findall(tail)) or tail.count("(") != tail.count(")"):
        return None
    last = code.rstrip().split("\n")[-1].strip()
    if not re.search(r"(;|\bend\w*)$", last):
        return None
    return text.rstrip() + "\nendmodule\n"


ORDER = ("json_literals", "list_localparam", "spec_params", "part_select", "duplicate_declaration", "instance_name",
         "module_begin", "undeclared_clock", "declarations_at_start", "net_to_reg")


def errors(diags: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diags if d.severity == "error" and d.code != "BUILD"]


def apply_fixers(files: dict[str, str], diags: list[Diagnostic], relint: Callable[[dict[str, str]], list[Diagnostic]],
                 order: tuple[str, ...] = ORDER, params: dict[str, int] | None = None
                 ) -> tuple[dict[str, str], list[dict]]:
    """Try each fixer that answers one of ``diags``' errors, file by file; keep an edit only when ``relint`` of the
    edited files shows fewer errors. ``params`` (the spec's parameter values) serves the fixers that need them; they
    are skipped without. Returns the files (fixed or as given) and one record per kept or undone fix."""
    applied: list[dict] = []
    current, now = dict(files), errors(diags)
    for name in order:
        fx = FIXERS.get(name)
        hits = [d for d in now if fx.answers(d)]
        if not hits or (fx.params and not params):
            continue
        trial = dict(current)
        for fname, text in current.items():
            mine = [d for d in hits if d.file in (None, fname) or (d.file or "").endswith(fname)]
            if mine:
                trial[fname] = fx.rewrite(text, mine, params) if fx.params else fx.rewrite(text, mine)
        if trial == current:
            applied.append({"fixer": name, "kept": False, "why": "no edit matched", "errors_before": len(now)})
            continue
        after = errors(relint(trial))
        # kept: fewer of the errors it answers, and fewer errors in all (trading one error for another is undone)
        kept = sum(fx.answers(d) for d in after) < len(hits) and len(after) < len(now)
        applied.append({"fixer": name, "kept": kept, "errors_before": len(now), "errors_after": len(after)})
        if kept:
            current, now = trial, after
        if not now:
            break
    return current, applied
