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
    usage: dict[str, list[int]] = field(default_factory=dict)   # model -> [tokens_in, tokens_out]
    counters: dict[str, int] = field(default_factory=dict)      # format_retries, http_retries, escalations
    replies: list[dict] = field(default_factory=list)           # raw replies, kept in the run folder

    def add_usage(self, model: str, tokens_in: int, tokens_out: int) -> None:
        self.tokens_in += tokens_in
        self.tokens_out += tokens_out
        ti, to = self.usage.get(model, [0, 0])
        self.usage[model] = [ti + tokens_in, to + tokens_out]

    def absorb(self, other: Draft) -> None:
        """Add another draft's cost (tokens per model, counters, notes) to this one."""
        for model, (ti, to) in other.usage.items():
            self.add_usage(model, ti, to)
        for k, v in other.counters.items():
            self.counters[k] = self.counters.get(k, 0) + v
        self.notes += other.notes
        self.replies += other.replies

    def cost(self) -> dict[str, int]:
        """Cost entries for the graph state (numbers add up across nodes)."""
        out = {"tokens_in": self.tokens_in, "tokens_out": self.tokens_out, **self.counters}
        for model, (ti, to) in self.usage.items():
            out[f"tokens_in.{model}"] = ti
            out[f"tokens_out.{model}"] = to
        return out


class Backend(Protocol):
    name: str
    can_repair: bool
    model: str

    def draft(self, spec: BlockSpec, plan: dict, feedback: dict | None) -> Draft: ...


_BACKENDS: dict[str, Callable[..., Backend]] = {}


def register_backend(name: str):
    def deco(factory: Callable[..., Backend]) -> Callable[..., Backend]:
        _BACKENDS[name] = factory
        return factory

    return deco


_CACHE: dict[tuple, Backend] = {}


def get_backend(name: str, **options) -> Backend:
    """The backend ``name`` built with ``options``; the same options give the same (cached) object,
    so a local model is loaded once per process."""
    _load_builtin_backends()
    try:
        factory = _BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(sorted(_BACKENDS))}") from None
    key = (name, repr(sorted(options.items())))
    if key not in _CACHE:
        _CACHE[key] = factory(**options)
    return _CACHE[key]


def known_backends() -> list[str]:
    _load_builtin_backends()
    return sorted(_BACKENDS)


def _load_builtin_backends() -> None:
    # openai/local (_llm) and cascade (_cascade) register on import; loaded on first lookup
    import accelsmith.agents._cascade  # noqa: F401
    import accelsmith.agents._llm  # noqa: F401


@register_backend("expert")
class ExpertBackend:
    """Template instantiation: the expert-designed Verilog for the spec's kind. Cannot repair."""

    name = "expert"
    can_repair = False
    model = "template"

    def __init__(self, **_options):
        pass

    def draft(self, spec: BlockSpec, plan: dict, feedback: dict | None) -> Draft:
        if plan.get("approach") == "scratch":
            return Draft(bundle=None, model="template",
                         notes=[f"kind {spec.kind!r} has no template here (or it was withheld); "
                                "the expert backend only instantiates templates"])
        return Draft(bundle=get_template(spec.kind).render(spec), model="template")


@register_backend("user")
class UserBackend:
    """The user's own RTL (``accelsmith verify``): drafts it once, as given; cannot repair. ``files`` maps plain
    file names to their text (the run folder keeps them), ``top`` names the module the bench drives."""

    name = "user"
    can_repair = False
    model = "user"

    def __init__(self, files: dict[str, str] | None = None, top: str = "", **_options):
        if not files or not top:
            raise ValueError("the user backend needs the design's files and its top module (accelsmith verify)")
        self.files, self.top = dict(files), top

    def draft(self, spec: BlockSpec, plan: dict, feedback: dict | None) -> Draft:
        return Draft(bundle=RtlBundle(files=dict(self.files), top=self.top), model="user",
                     notes=[f"the user's RTL: {', '.join(sorted(self.files))} (top {self.top})"])


def load_user_rtl(paths: list, top: str | None, spec: BlockSpec) -> tuple[dict[str, str], str]:
    """(files, top) for ``accelsmith verify``: the user's files read as plain names, and the top module (``top``,
    else the kind's usual top name when one of the files defines it, else the only module). Raises ValueError
    with one line on a missing, duplicate, oversized or unreadable file or an ambiguous top."""
    from pathlib import Path

    from accelsmith.agents._extract import module_names
    from accelsmith.verification._security import MAX_FILE_BYTES

    files: dict[str, str] = {}
    for p in map(Path, paths):
        if not p.is_file():
            raise ValueError(f"{p}: RTL file not found (or not a regular file)")
        if p.suffix not in (".v", ".sv", ".vh", ".svh"):
            raise ValueError(f"{p}: not a Verilog file (.v, .sv, .vh or .svh)")
        if p.name in files:
            raise ValueError(f"{p}: two files named {p.name!r}; the run folder keeps files by name")
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"{p}: {p.stat().st_size:,} bytes, over the per-file limit of {MAX_FILE_BYTES:,}")
        files[p.name] = p.read_bytes().decode("utf-8", errors="replace")
    modules = [m for text in files.values() for m in module_names(text)]
    if top:
        if top not in modules:
            raise ValueError(f"no module named {top!r} in {', '.join(files)} (modules: {', '.join(modules) or 'none'})")
        return files, top
    import re

    text = "\n".join(files.values())
    # the roots of the hierarchy: modules no other module instantiates (the name appears only where it is defined)
    roots = [m for m in dict.fromkeys(modules)
             if len(re.findall(rf"\b{re.escape(m)}\b", text)) - len(re.findall(rf"endmodule\s*:\s*{re.escape(m)}\b", text)) == 1]
    if len(roots) == 1:
        return files, roots[0]
    usual = f"{spec.kind}_top"
    if usual in modules:
        return files, usual
    raise ValueError(f"{len(modules)} modules in {', '.join(files)} ({', '.join(modules[:8]) or 'none'}): "
                     f"name the one the bench drives with --top")
