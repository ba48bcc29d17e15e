"""Structured tool findings: every tool's output becomes ``Diagnostic`` records."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Severity = Literal["error", "warning", "info"]


class Diagnostic(BaseModel):
    tool: str
    severity: Severity
    file: str | None = None
    line: int | None = None
    code: str | None = None
    message: str

    def one_line(self) -> str:
        loc = f"{self.file}:{self.line}: " if self.file and self.line else (f"{self.file}: " if self.file else "")
        code = f"[{self.code}] " if self.code else ""
        return f"{self.tool} {self.severity}: {loc}{code}{self.message}"


def has_errors(diags: list[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diags)
