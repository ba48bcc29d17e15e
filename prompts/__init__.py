"""Prompt templates as text files, and a tiny loader: ``render("draft", spec=...)``.

Placeholders are ``{{name}}`` (no logic, no escaping of Verilog braces needed).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_DIR = Path(__file__).parent
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@cache
def load(name: str) -> str:
    """The raw text of ``prompts/<name>.txt`` (or ``.md``)."""
    for suffix in (".txt", ".md"):
        path = _DIR / f"{name}{suffix}"
        if path.is_file():
            return path.read_text()
    known = sorted(p.stem for p in _DIR.iterdir() if p.suffix in (".txt", ".md"))
    raise ValueError(f"unknown prompt {name!r}; known: {', '.join(known)}")


def render(name: str, **values: object) -> str:
    """Fill ``{{key}}`` placeholders; a placeholder without a value is an error, not silent text."""
    text = load(name)
    missing = sorted({m.group(1) for m in _PLACEHOLDER.finditer(text)} - set(values))
    if missing:
        raise KeyError(f"prompt {name!r} needs values for {missing!r}")
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


__all__ = ["load", "render"]
