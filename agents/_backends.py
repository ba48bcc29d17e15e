"""LLM backends behind one interface, in a registry. ``expert`` instantiates templates (no network)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from accelsmith.hw_templates import RtlBundle, get as get_template
from accelsmith.registry import Registry, importing
from accelsmith.spec import BlockSpec


@dataclass(frozen=True)
class Sampling:
    """How many candidates one draft step asks for: candidate 0 is greedy (temperature 0), the others sample at
    ``temperature`` with seeds ``seed + i`` (recorded per candidate)."""

    n: int = 1
    temperature: float = 0.7
    seed: int = 0
    greedy_first: bool = True  # False: every candidate samples (the loop changing strategy after a repeat)

    def settings(self) -> list[tuple[float, int | None]]:
        """(temperature, seed) per candidate."""
        first = 1 if self.greedy_first else 0
        return [(0.0, None)] * first + [(self.temperature, self.seed + i) for i in range(first, self.n)]


@dataclass
class Candidate:
    bundle: RtlBundle | None
    temperature: float = 0.0
    seed: int | None = None
    model: str = ""
    notes: list[str] = field(default_factory=list)


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
    candidates: list[Candidate] = field(default_factory=list)   # every usable reply of this step (sampling)

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
        self.candidates += other.candidates

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

    def draft(self, spec: BlockSpec, plan: dict, feedback: dict | None, sampling: Sampling | None = None) -> Draft:
        ...


def register_backend(name: str):
    """``@register_backend(name)``: the decorated factory builds that backend; a second one for a name is refused."""
    return BACKENDS.decorator(name)


_CACHE: dict[tuple, Backend] = {}


def get_backend(name: str, **options) -> Backend:
    """The backend ``name`` built with ``options``; the same options give the same (cached) object,
    so a local model is loaded once per process. A miss (``UnknownName``) lists the known backends."""
    factory = BACKENDS.get(name)
    key = (name, repr(sorted(options.items())))
    if key not in _CACHE:
        _CACHE[key] = factory(**options)
    return _CACHE[key]


def known_backends() -> list[str]:
    return BACKENDS.names()


# openai/local (_llm) and cascade (_cascade) register on import; loaded on the first lookup
BACKENDS: Registry[Callable[..., Backend]] = Registry("backend", load=importing("accelsmith.agents._cascade",
                                                                               "accelsmith.agents._llm"))


@register_backend("expert")
class ExpertBackend:
    """Template instantiation: the expert-designed Verilog for the spec's kind. Cannot repair."""

    name = "expert"
    can_repair = False
    model = "template"

    def __init__(self, **_options):
        pass

    def draft(self, spec: BlockSpec, plan: dict, feedback: dict | None, sampling: Sampling | None = None) -> Draft:
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

    def draft(self, spec: BlockSpec, plan: dict, feedback: dict | None, sampling: Sampling | None = None) -> Draft:
        return Draft(bundle=RtlBundle(files=dict(self.files), top=self.top), model="user",
                     notes=[f"the user's RTL: {', '.join(sorted(self.files))} (top {self.top})"])

