"""Template contract: a template renders a spec into an ``RtlBundle`` and owns its golden model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from accelsmith.spec import BlockSpec


@dataclass(frozen=True)
class RtlBundle:
    """Verilog sources (file name -> text) and the name of the top module."""

    files: dict[str, str]
    top: str
    notes: list[str] = field(default_factory=list)

    def write(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, text in sorted(self.files.items()):
            p = folder / name
            p.write_text(text)
            paths.append(p)
        return paths


class Template(Protocol):
    kind: str

    def render(self, spec: BlockSpec) -> RtlBundle: ...


_TEMPLATES: dict[str, Template] = {}


def register_template(template: Template) -> Template:
    _TEMPLATES[template.kind] = template
    return template


def get(kind: str) -> Template:
    """The template for a block kind; a miss lists the known kinds."""
    try:
        return _TEMPLATES[kind]
    except KeyError:
        raise ValueError(f"unknown template {kind!r}; known: {', '.join(sorted(_TEMPLATES))}") from None


def known_templates() -> list[str]:
    return sorted(_TEMPLATES)


def read_hdl(package_file: str, name: str) -> str:
    """Read a Verilog file shipped beside a template module."""
    return (Path(package_file).parent / name).read_text()


GoldenModel = Callable[..., object]
