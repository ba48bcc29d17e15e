"""Typed block specs: the contract between users, templates, testbenches and agents.

A spec is a value: the same fields give the same ``spec_hash``, and therefore the same template
instance and the same testbench seed. Each block kind registers one ``BlockSpec`` subclass.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from accelsmith.errors import SpecError

SPEC_SCHEMA_VERSION = 1

_SPEC_CLASSES: dict[str, type[BlockSpec]] = {}


class BlockSpec(BaseModel):
    """Base of every block spec. Subclasses set ``kind`` and are registered with ``register_spec``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str] = ""
    version: int = SPEC_SCHEMA_VERSION
    name: str | None = None

    @property
    def spec_hash(self) -> str:
        """Stable content hash (16 hex digits) over kind + all fields except the free-text name."""
        payload = {"kind": self.kind, **self.model_dump(mode="json", exclude={"name"})}
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def seed(self) -> int:
        """Seed for every random choice derived from this spec."""
        return int(self.spec_hash[:8], 16)

    @property
    def label(self) -> str:
        return self.name or f"{self.kind}_{self.spec_hash[:8]}"

    def summary(self) -> str:
        """One line for listings; subclasses refine it."""
        return self.label

    @property
    def design_units(self) -> int:
        """Size of the design in its kind's natural unit (GEMM: processing elements; vector blocks: elements or
        lanes). Time limits for lint, build and simulation scale with it."""
        return 1

    @property
    def size_label(self) -> str:
        """The size as a person reads it in a limit's message, e.g. '1024 PEs'."""
        return f"{self.design_units} units"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.model_dump(mode="json")}


def stream_ports(inp: dict[str, tuple[int, int, bool]], out: dict[str, tuple[int, int, bool]]) -> dict:
    """The common port layout: clk, rst_n, one ready/valid stream each way; field -> (lanes, bits, signed),
    signals named ``in_<field>`` / ``out_<field>``."""
    def fields(prefix: str, spec: dict) -> dict:
        return {k: {"signal": f"{prefix}_{k}", "lanes": n, "bits": b, "signed": s} for k, (n, b, s) in spec.items()}

    return {"clock": "clk", "reset_n": "rst_n",
            "in": {"valid": "in_valid", "ready": "in_ready", "fields": fields("in", inp)},
            "out": {"valid": "out_valid", "ready": "out_ready", "fields": fields("out", out)}}


def register_spec(cls: type[BlockSpec]) -> type[BlockSpec]:
    if not cls.kind:
        raise TypeError(f"{cls.__name__} must set a non-empty class attribute 'kind'")
    _SPEC_CLASSES[cls.kind] = cls
    return cls


def known_kinds() -> list[str]:
    _load_builtin_specs()
    return sorted(_SPEC_CLASSES)


def spec_class(kind: str) -> type[BlockSpec]:
    _load_builtin_specs()
    try:
        return _SPEC_CLASSES[kind]
    except KeyError:
        raise SpecError(f"unknown block kind {kind!r}; known: {', '.join(sorted(_SPEC_CLASSES))}") from None


def _load_builtin_specs() -> None:
    # Templates register their spec classes on import.
    import accelsmith.hw_templates  # noqa: F401


def _format_validation_error(source: str, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"]) or "<spec>"
        value = e.get("input")
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        lines.append(f"{source}: field {field!r}: {msg} (got {value!r})")
    return "\n".join(lines)


def spec_from_dict(data: Any, source: str = "<spec>") -> BlockSpec:
    """Build a spec from a mapping with a ``kind`` key; raises SpecError with one line per problem."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a spec must be a mapping with a 'kind' field, got {type(data).__name__}")
    data = dict(data)
    kind = data.pop("kind", None)
    if kind is None:
        raise SpecError(f"{source}: field 'kind' is missing; known kinds: {', '.join(known_kinds())}")
    if not isinstance(kind, str) or kind not in known_kinds():
        raise SpecError(f"{source}: field 'kind': unknown block kind {kind!r}; known: {', '.join(known_kinds())}")
    cls = _SPEC_CLASSES[kind]
    try:
        return cls.model_validate(data)
    except ValidationError as err:
        raise SpecError(_format_validation_error(source, err)) from None


def load_spec(path: str | Path) -> BlockSpec:
    """Load a YAML (or JSON) spec file."""
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"{p}: spec file not found")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise SpecError(f"{p}{where}: not valid YAML: {problem}") from None
    return spec_from_dict(data, source=str(p))
