"""Turning free-form model replies into files and validated objects, never crashing on bad text.

Replies are untrusted and can be large, so every pass over a reply runs in linear time: fences, module
spans and comments are found by forward scans (``str.find`` loops and regexes that never re-scan the rest
of the text from each candidate). Lazy ``.*?`` patterns such as ``module.*?endmodule`` or ``/\\*.*?\\*/``
rescan to the end of the text from every ``module`` or ``/*`` without a terminator, which turned a
180 KB reply into half a minute of CPU. Replies over ``MAX_REPLY_CHARS`` are refused outright.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import chain

from pydantic import BaseModel, ValidationError

from accelsmith.agents._fixers import close_module
from accelsmith.errors import AccelsmithError

MAX_REPLY_CHARS = 512 * 1024
_HDL_LANGS = {"", "verilog", "systemverilog", "v", "sv", "vlog"}
_FENCE_LANG = re.compile(r"[ \t]*([\w.+-]*)")
_NAME_RUN = re.compile(r"[\w.-]+")
_NAME_END = re.compile(r"\.(?:sv|vh?)(?!\w)")
# `[^\S\n]*` (blanks but not newlines) instead of `\s*` after `^`: the same matches, but a run of blank
# lines is not rescanned from each of its line starts.
_MODULE = re.compile(r"^[^\S\n]*module\s+([A-Za-z_]\w*)", re.M)
_SPAN_HEAD = re.compile(r"^[ \t]*module\s+[A-Za-z_]\w*", re.M)
_SPAN_TAIL = re.compile(r"^[^\S\n]*endmodule\b[^\n]*", re.M)
_LEXEME = re.compile(r'"|//|/\*')
_STRING = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"?', re.S)  # ends at its quote, or unclosed at a newline


class UnusableReply(AccelsmithError):
    """A reply held no code (or no valid object); the caller retries with a format reminder."""


def module_names(text: str) -> list[str]:
    return _MODULE.findall(_strip_comments(text))


def _strip_comments(text: str) -> str:
    """Drops ``//`` and ``/* */`` comments outside ``"..."`` strings; an unclosed ``/*`` runs to the end."""
    out: list[str] = []
    pos = 0
    while m := _LEXEME.search(text, pos):
        start = m.start()
        if m.group() == '"':
            end = _STRING.match(text, start).end()  # type: ignore[union-attr]  # always matches at a quote
            out.append(text[pos:end])
        else:
            out.append(text[pos:start])
            if m.group() == "//":
                end = text.find("\n", start)
            else:
                end = text.find("*/", start + 2)
                end = end + 2 if end >= 0 else -1
            end = len(text) if end < 0 else end
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _fences(text: str) -> Iterator[tuple[int, str, str]]:
    """(start, language, body) of each ``` block; an unclosed block runs to the end of the text."""
    pos = 0
    while (start := text.find("```", pos)) >= 0:
        eol = text.find("\n", start + 3)
        if eol < 0:  # no line after the fence, so no later fence has one either
            return
        lang = _FENCE_LANG.match(text, start + 3).group(1)  # type: ignore[union-attr]  # always matches
        close = text.find("```", eol + 1)
        yield start, lang, text[eol + 1:close if close >= 0 else len(text)]
        if close < 0:
            return
        pos = close + 3


def module_spans(text: str) -> list[str]:
    """Each ``module`` line through the next line that starts with ``endmodule`` (to that line's end)."""
    spans: list[str] = []
    pos = 0
    # once a `module` has no `endmodule` after it, none of the later ones has: stop instead of rescanning
    while (head := _SPAN_HEAD.search(text, pos)) and (tail := _SPAN_TAIL.search(text, head.end())):
        spans.append(text[head.start():tail.end()])
        pos = tail.end()
    return spans


def _filenames(text: str) -> list[str]:
    """What ``([\\w.-]+\\.(?:sv|v|vh))\\b`` finds, without its backtracking: in each run of name characters,
    the longest prefix that ends in ``.sv``/``.v``/``.vh`` with a character before the dot."""
    names = []
    for run in _NAME_RUN.findall(text):
        if ends := [m.end() for m in _NAME_END.finditer(run, 1)]:
            names.append(run[:ends[-1]])
    return names


def _check_size(reply: str, wanted: str) -> None:
    if len(reply) > MAX_REPLY_CHARS:
        raise UnusableReply(f"the reply is {len(reply):,} characters, over the {MAX_REPLY_CHARS:,}-character "
                            f"limit; ask for {wanted} alone")


def extract_files(reply: str, top: str) -> tuple[dict[str, str], list[str]]:
    """Verilog files from a reply: fenced blocks (one per file, named by a nearby file name) or bare
    ``module ... endmodule`` spans. Returns (files, notes); raises ``UnusableReply`` without code.

    When no module is named ``top`` but exactly one module exists, it is renamed (noted).
    """
    _check_size(reply, "the module")
    notes: list[str] = []
    blocks: list[tuple[str | None, str]] = []
    for start, lang, body in _fences(reply):
        if lang.lower() not in _HDL_LANGS or "module" not in body:
            continue
        before = reply[max(0, start - 120):start].splitlines()[-2:]
        named = _filenames(" ".join(before)) or _filenames(body.splitlines()[0] if body else "")
        blocks.append((named[-1] if named else None, body))
    if not blocks and (spans := module_spans(reply)):  # prose with bare modules
        blocks.append((None, "\n\n".join(spans)))
    code_blocks = [(n, b, s) for n, b in blocks if (s := module_spans(b))]
    if not code_blocks and blocks and reply.count("```") % 2 == 0:
        # the model closed its block at a finished statement but never wrote `endmodule` (an open fence: cut off)
        closed = [(n, c) for n, b in blocks if (c := close_module(b))]
        code_blocks = [(n, b, s) for n, b in closed if (s := module_spans(b))]
        if code_blocks:
            notes.append("fixer close_module: appended the missing `endmodule`")
    if not code_blocks:
        if blocks:
            raise UnusableReply("the Verilog is cut off: a `module` without its `endmodule`")
        raise UnusableReply("no Verilog `module ... endmodule` found in the reply")
    files: dict[str, str] = {}
    for i, (name, body, spans) in enumerate(code_blocks):
        text = body if body.strip().endswith("endmodule") else "\n\n".join(spans)
        mods = module_names(text)
        name = name or (f"{mods[0]}.v" if mods else f"part{i}.v")
        if name in files:  # same module written twice: the later block wins
            notes.append(f"duplicate file {name!r}: kept the later block")
        files[name] = text.strip() + "\n"
    # drop earlier files whose modules are all redefined later (models often repeat a revised module)
    seen: set[str] = set()
    for name in reversed(list(files)):
        mods = set(module_names(files[name]))
        if mods and mods <= seen:
            del files[name]
            notes.append(f"dropped {name!r}: its modules are redefined later in the reply")
        seen |= mods
    all_mods = [m for t in files.values() for m in module_names(t)]
    if top not in all_mods:
        if len(all_mods) == 1:
            only = all_mods[0]
            for n, t in files.items():
                files[n] = re.sub(rf"\bmodule\s+{re.escape(only)}\b", f"module {top}", t, count=1)
            notes.append(f"renamed module {only!r} to the required top {top!r}")
        else:
            raise UnusableReply(f"no module named `{top}` among {all_mods!r}")
    return files, notes


def extract_json(reply: str, model: type[BaseModel]) -> BaseModel:
    """The first JSON object in a reply (fenced or not), validated by ``model``."""
    _check_size(reply, "the JSON object")
    problems = []
    for text in chain((body for _, _, body in _fences(reply)), [reply]):
        start = text.find("{")
        end = text.rfind("}")
        if start < 0 or end <= start:
            continue
        try:
            return model.model_validate(json.loads(text[start:end + 1]))
        except json.JSONDecodeError as err:
            problems.append(f"not valid JSON ({err.msg} at char {err.pos})")
        except ValidationError as err:  # before ValueError, its base class
            first = err.errors()[0]
            problems.append(f"field {'.'.join(map(str, first['loc'])) or '<root>'!r}: {first['msg']}")
        except ValueError:  # json.loads refuses integers over 4,300 digits
            problems.append("not valid JSON (a number too long to read)")
        except RecursionError:
            problems.append("not valid JSON (nested too deeply)")
    raise UnusableReply(problems[0] if problems else "no JSON object found in the reply")


def _header_end(text: str, start: int) -> int:
    """The index just past the ``;`` that ends the module header beginning at ``start`` (``module`` ``name``, an
    optional ``#( ... )`` and the port list ``( ... )``); -1 when it cannot be found."""
    pos = start
    for _ in range(2):  # a parameter list, then the port list
        open_at = text.find("(", pos)
        if open_at < 0:
            return -1
        depth = 0
        for j in range(open_at, len(text)):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                pos = j + 1
                break
        else:
            return -1
        rest = text[pos:].lstrip()
        if rest.startswith(";"):
            return text.index(";", pos) + 1
    return -1


def extract_with_header(reply: str, top: str, header: str) -> tuple[dict[str, str], list[str]]:
    """``extract_files`` for a reply to a prompt that fixed the top's header: a reply holding only the body gets the
    header in front; a reply that wrote its own header for ``top`` gets it replaced by ``header``, so port names,
    directions and widths are the spec's whatever the model wrote (a non-ANSI header, which declares its ports in
    the body, is left as written)."""
    blocks = [b for _, lang, b in _fences(reply) if lang.lower() in _HDL_LANGS]
    if blocks and not any(_MODULE.search(_strip_comments(b)) for b in blocks) and any("endmodule" in b for b in blocks):
        body = next(b for b in blocks if "endmodule" in b)
        reply = f"```verilog\n{header}\n{body.rstrip()}\n```\n"
        files, notes = extract_files(reply, top)
        return files, notes + ["the reply held the module body only: the spec's header was put in front"]
    files, notes = extract_files(reply, top)
    for name, text in files.items():
        m = re.search(rf"\bmodule\s+{re.escape(top)}\b", text)
        if not m:
            continue
        end = _header_end(text, m.end())
        own = text[m.start():end] if end > 0 else ""
        if not own or not re.search(r"\b(input|output|inout)\b", own):
            break  # no header found, or a non-ANSI one: left as written
        if " ".join(own.split()) != " ".join(header.split()):
            files[name] = text[:m.start()] + header + text[end:]
            notes.append("the top's header was replaced by the spec's (port names and widths come from the spec)")
        break
    return files, notes
