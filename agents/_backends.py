"""LLM backends behind one interface, in a registry. ``expert`` instantiates templates (no network)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from accelsmith.hw_templates import RtlBundle, get as get_template
from accelsmith.spec import BlockSpec


@dataclass
class Draft:
    bundle: RtlBundle | None
    tokens_in: int = 0
    tokens_out: int = 0
    model: str = ""
    notes: list[str] = field(default_factory=list)


class Backend(Protocol):
    name: str
    can_repair: bool

    def draft(self, spec: BlockSpec, plan: dict, feedback: dict | None) -> Draft: ...


_BACKENDS: dict[str, Callable[..., Backend]] = {}


def register_backend(name: str):
    def deco(factory: Callable[..., Backend]) -> Callable[..., Backend]:
        _BACKENDS[name] = factory
        return factory

    return deco


def get_backend(name: str, **options) -> Backend:
    try:
        factory = _BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(sorted(_BACKENDS))}") from None
    return factory(**options)


def known_backends() -> list[str]:
    return sorted(_BACKENDS)


@register_backend("expert")
class ExpertBackend:
    """Template instantiation: the expert-designed Verilog for the spec's kind. Cannot repair."""

    name = "expert"
    can_repair = False

    def __init__(self, **_options):
        pass

    def draft(self, spec: BlockSpec, plan: dict, feedback: dict | None) -> Draft:
        return Draft(bundle=get_template(spec.kind).render(spec), model="template")
