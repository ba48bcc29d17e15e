"""Turning free-form model replies into files and validated objects, never crashing on bad text."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ValidationError

from accelsmith.errors import AccelsmithError

_FENCE = re.compile(r"```[ \t]*([\w.+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_FILENAME = re.compile(r"([\w.-]+\.(?:sv|v|vh))\b")
_MODULE = re.compile(r"^\s*module\s+([A-Za-z_]\w*)", re.M)
_MODULE_SPAN = re.compile(r"^[ \t]*module\s+[A-Za-z_]\w*.*?^\s*endmodule\b[^\n]*", re.S | re.M)
_HDL_LANGS = {"", "verilog", "systemverilog", "v", "sv", "vlog"}


class UnusableReply(AccelsmithError):
    """A reply held no code (or no valid object); the caller retries with a format reminder."""


def module_names(text: str) -> list[str]:
    return _MODULE.findall(_strip_comments(text))


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)


def extract_files(reply: str, top: str) -> tuple[dict[str, str], list[str]]:
    """Verilog files from a reply: fenced blocks (one per file, named by a nearby file name) or bare
    ``module ... endmodule`` spans. Returns (files, notes); raises ``UnusableReply`` without code.

    When no module is named ``top`` but exactly one module exists, it is renamed (noted).
    """
    notes: list[str] = []
    blocks: list[tuple[str | None, str]] = []
    for m in _FENCE.finditer(reply):
        lang, body = m.group(1).lower(), m.group(2)
        if lang not in _HDL_LANGS or "module" not in body:
            continue
        before = reply[max(0, m.start() - 120):m.start()].splitlines()[-2:]
        named = _FILENAME.findall(" ".join(before)) or _FILENAME.findall(body.splitlines()[0] if body else "")
        blocks.append((named[-1] if named else None, body))
    if not blocks:  # prose with bare modules
        spans = _MODULE_SPAN.findall(reply)
        if spans:
            blocks.append((None, "\n\n".join(spans)))
    code_blocks = [(n, b) for n, b in blocks if _MODULE_SPAN.search(b)]
    if not code_blocks:
        if blocks:
            raise UnusableReply("the Verilog is cut off: a `module` without its `endmodule`")
        raise UnusableReply("no Verilog `module ... endmodule` found in the reply")
    files: dict[str, str] = {}
    for i, (name, body) in enumerate(code_blocks):
        spans = _MODULE_SPAN.findall(body)
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
    candidates = [m.group(2) for m in _FENCE.finditer(reply)] + [reply]
    problems = []
    for text in candidates:
        start = text.find("{")
        end = text.rfind("}")
        if start < 0 or end <= start:
            continue
        try:
            return model.model_validate(json.loads(text[start:end + 1]))
        except json.JSONDecodeError as err:
            problems.append(f"not valid JSON ({err.msg} at char {err.pos})")
        except ValidationError as err:
            first = err.errors()[0]
            problems.append(f"field {'.'.join(map(str, first['loc'])) or '<root>'!r}: {first['msg']}")
    raise UnusableReply(problems[0] if problems else "no JSON object found in the reply")
