"""Typed block specs: the contract between users, templates, testbenches and agents.

A spec is a value: the same fields give the same ``spec_hash``, and therefore the same template
instance and the same testbench seed. Each block kind registers one ``BlockSpec`` subclass (the built-in ones live
in ``accelsmith.kinds``, with their golden models); templates and test-plan derivers are registered against it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from accelsmith.errors import SpecError
from accelsmith.registry import Registry

SPEC_SCHEMA_VERSION = 1
MAX_SPEC_BYTES = 256 << 10   # a spec is a few lines; anything larger is a mistake or an attack
MAX_SPEC_DEPTH = 32          # nesting of mappings and lists
MAX_SPEC_ALIASES = 32        # YAML aliases (*name): enough for sharing, too few for an alias bomb
MAX_SPEC_VALUES = 100_000    # scalars after alias expansion



def _load_builtin_kinds() -> None:
    from accelsmith.kinds import load_all

    load_all()


KINDS: Registry[type[BlockSpec]] = Registry("block kind", load=_load_builtin_kinds)


def value_range(bits: int, signed: bool) -> tuple[int, int]:
    """The smallest and largest value of a ``bits``-wide integer, two's complement when ``signed``."""
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def lsb_tolerance(max_abs_error: float, frac_bits: int) -> int:
    """The whole output LSBs a rounded output may be off when the spec allows ``max_abs_error`` (in real units) at
    ``frac_bits`` fraction bits: the error less the half LSB rounding alone costs; -1 when below half an LSB."""
    lsb = max_abs_error * (1 << frac_bits)
    return int(lsb - 0.5 + 1e-9) if lsb >= 0.5 - 1e-9 else -1


def check_error_bound(spec: Any, measure: Any, atol: int, hint: str = "") -> None:
    """A spec's stated ``max_abs_error`` against what its golden model can meet: below half an output LSB, or
    above the error ``measure(spec) -> (worst LSB, vector)`` finds, is a ``ValueError`` (a field validator's)."""
    if atol < 0:
        raise ValueError(f"max_abs_error={spec.max_abs_error!r} is below half an output LSB "
                         f"(2**-{spec.out_frac + 1}); no rounded output can meet it")
    worst, vec = measure(spec)
    if worst > atol:
        raise ValueError(f"measured error {worst} LSB (vector {vec!r}) exceeds atol={atol} LSB from "
                         f"max_abs_error={spec.max_abs_error!r}{hint}")


class Rate(NamedTuple):
    """A block's stated throughput. Jobs fed back to back with an always-ready sink: the last output beat of job
    n (0-based) comes at most ``first_job_cycles + ceil(n * ii_cycles)`` cycles after the first input beat is
    accepted (``ii_cycles`` may be fractional: an average over a repeating pattern). With bubbles or stalls,
    every cycle in which the source withholds an input beat or the sink withholds ready may add one cycle,
    no more. ``first_job_cycles`` None: only the steady state is stated (measured from the first job's end)."""

    ii_cycles: float
    first_job_cycles: int | None = None


class BlockSpec(BaseModel):
    """Base of every block spec. Subclasses set ``kind``, describe their ports (``ports()``) and are registered
    with ``register_spec``; ``grid`` names the kind's regression corners (tier -> spec fields per row)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str] = ""
    grid: ClassVar[dict[str, tuple[dict, ...]]] = {}
    hash_since: ClassVar[tuple[str, ...]] = ()  # fields outside ``spec_hash`` while at their default
    version: int = SPEC_SCHEMA_VERSION
    name: str | None = None

    @field_validator("version")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if v != SPEC_SCHEMA_VERSION:
            raise ValueError(f"this accelsmith reads spec version {SPEC_SCHEMA_VERSION} only")
        return v

    @property
    def spec_hash(self) -> str:
        """Stable content hash (16 hex digits) over kind + all fields except the free-text name and the fields of
        ``hash_since`` left at their default (fields added later: a spec written before them keeps its hash, hence
        its seed and its bench)."""
        payload = {"kind": self.kind, **self.model_dump(mode="json", exclude={"name"})}
        for f in self.hash_since:
            if payload.get(f) == type(self).model_fields[f].default:
                payload.pop(f)
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
    def beats_per_job(self) -> int:
        """Input plus output beats of one job on the block's streams (a test plan's size grows with it)."""
        return 2

    @property
    def size_label(self) -> str:
        """The size as a person reads it in a limit's message, e.g. '1024 PEs'."""
        return f"{self.design_units} units"

    @property
    def beat_function(self) -> bool:
        """True when every output beat is a function of its own input beat alone: one output beat per input beat, in
        order, nothing carried from one beat to the next. Such a block is a combinational core inside a streaming
        shell (``accelsmith.rtl.stream_shell``), so a drafting model may write the core alone."""
        return False

    @property
    def lane_function(self) -> bool:
        """True when, besides ``beat_function``, output lane i is one function of input lane i of every field (the
        same for every lane): a drafting model may write that function for one lane, replicated by the generator."""
        return False

    @property
    def rate(self) -> Rate | None:
        """The stated initiation interval and first-job cycles (see ``Rate``); None when the kind states none."""
        return None

    def lane_steps(self) -> str | None:
        """One lane's arithmetic as numbered steps in this spec's numbers, with the width each step needs (what a
        micro-architecture note gives the engineer who writes the lane); None when the kind's description says it
        all. A prompt that asks for one lane shows it."""
        return None

    def ports(self) -> dict:
        """The block's ports (``stream_ports`` layout): clock, active-low reset, one ready/valid stream each way.
        Every kind states them; templates, test benches, formal wrappers and prompts all read them from here."""
        raise NotImplementedError(f"{type(self).__name__} must define ports()")

    def rtl_params(self) -> dict[str, int]:
        """The spec's numeric parameters by field name, as RTL would name them (booleans as 1/0; a one-element list
        also under its singular name): the values a prompt shows, for mechanical fixes of RTL that names them."""
        out: dict[str, int] = {}
        for k, v in self.model_dump(mode="json").items():
            if k in ("version", "name"):
                continue
            if isinstance(v, bool) or isinstance(v, int):
                out[k] = int(v)
            elif isinstance(v, list) and len(v) == 1 and isinstance(v[0], int) and not isinstance(v[0], bool):
                out[k] = out[k.rstrip("s")] = v[0]
        return out

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


class StreamSpec(BlockSpec):
    """A block that answers every input beat with one output beat, in order, at one beat per cycle in the steady
    state (any latency)."""

    @property
    def rate(self) -> Rate:
        return Rate(ii_cycles=1)


class LaneSpec(BlockSpec):
    """A block whose beats carry ``lanes`` signed ``in_bits`` codes in (``in_data``) and ``lanes`` ``out_bits``
    codes out (``out_data``, unsigned where ``out_signed`` is False); its size is its lanes."""

    out_signed: ClassVar[bool] = True

    @property
    def in_range(self) -> tuple[int, int]:
        """The smallest and largest input code."""
        return value_range(self.in_bits, True)

    @property
    def design_units(self) -> int:
        return self.lanes

    @property
    def size_label(self) -> str:
        return f"{self.lanes} lanes"

    def ports(self) -> dict:
        return stream_ports({"data": (self.lanes, self.in_bits, True)},
                            {"data": (self.lanes, self.out_bits, self.out_signed)})


class VectorSpec(LaneSpec):
    """A lane block whose job is one vector of ``vector_length`` elements (the field named ``length_field``):
    ``beats`` input beats are read whole into one vector buffer, then ``beats`` output beats leave; the next job
    is taken once the last output beat has left, ``job_cycles`` (unstalled) after the first input beat.
    ``max_abs_error`` (real output units) sets ``atol`` in output LSBs."""

    length_field: ClassVar[str] = "length"

    @model_validator(mode="after")
    def _whole_beats(self) -> VectorSpec:
        if self.vector_length % self.lanes:
            raise ValueError(f"{self.length_field}={self.vector_length!r} is not a multiple of lanes={self.lanes!r}")
        return self

    @property
    def vector_length(self) -> int:
        return getattr(self, self.length_field)

    @property
    def beats(self) -> int:
        return self.vector_length // self.lanes

    @property
    def beats_per_job(self) -> int:
        return 2 * self.beats

    @property
    def atol(self) -> int:
        return lsb_tolerance(self.max_abs_error, self.out_frac)

    @property
    def job_cycles(self) -> int:
        raise NotImplementedError

    @property
    def latency_cycles(self) -> int:
        return self.job_cycles

    @property
    def rate(self) -> Rate:
        """Jobs do not overlap: the next vector is taken once the last output beat has left."""
        return Rate(ii_cycles=self.job_cycles, first_job_cycles=self.job_cycles)

    @property
    def design_units(self) -> int:
        return self.lanes * 4 + self.vector_length // 8  # datapath lanes plus the vector buffer

    @property
    def size_label(self) -> str:
        return f"{self.length_field} {self.vector_length}, {self.lanes} lanes"

    def sample_generator(self):
        """The torch generator of the validator's dense sample (seeded by the vector's size and input format)."""
        import torch

        return torch.Generator().manual_seed(self.vector_length * 1009 + self.in_bits * 31 + self.in_frac)


def register_spec(cls: type[BlockSpec]) -> type[BlockSpec]:
    """Register a spec class under its ``kind``; it must state its ports; a second class for a kind is refused."""
    if not cls.kind:
        raise TypeError(f"{cls.__name__} must set a non-empty class attribute 'kind'")
    if cls.ports is BlockSpec.ports:
        raise TypeError(f"{cls.__name__} must define ports() (see accelsmith.spec.stream_ports)")
    return KINDS.register(cls, cls)


def known_kinds() -> list[str]:
    return KINDS.names()


def spec_class(kind: str) -> type[BlockSpec]:
    """The spec class of a block kind; a miss (``UnknownName``) lists the known kinds."""
    return KINDS.get(kind)


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


def _strict_types(cls: type[BlockSpec], data: dict, source: str) -> None:
    """What pydantic's lax mode would quietly convert: a boolean for a number, binary data for text."""
    for key, value in data.items():
        field = cls.model_fields.get(key)
        if field is None:
            continue
        wants_bool = "bool" in str(field.annotation)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, bool) and not wants_bool:
                raise SpecError(f"{source}: field {key!r}: expected a number, got a boolean ({str(v).lower()})")
            if isinstance(v, (bytes, bytearray)):
                raise SpecError(f"{source}: field {key!r}: binary data (!!binary) is not allowed in a spec")


def spec_from_dict(data: Any, source: str = "<spec>") -> BlockSpec:
    """Build a spec from a mapping with a ``kind`` key; raises SpecError with one line per problem."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a spec must be a mapping with a 'kind' field, got {type(data).__name__}")
    data = dict(data)
    if "kind" not in data:
        raise SpecError(f"{source}: field 'kind' is missing; known kinds: {', '.join(known_kinds())}")
    kind = data.pop("kind")
    if kind is None:
        raise SpecError(f"{source}: field 'kind' is empty (null); known kinds: {', '.join(known_kinds())}")
    if not isinstance(kind, str) or kind not in known_kinds():
        raise SpecError(f"{source}: field 'kind': unknown block kind {kind!r}; known: {', '.join(known_kinds())}")
    cls = KINDS.get(kind)
    _strict_types(cls, data, source)
    try:
        return cls.model_validate(data)
    except ValidationError as err:
        raise SpecError(_format_validation_error(source, err)) from None


class _SpecLoader(yaml.SafeLoader):
    """PyYAML's safe loader with duplicate keys refused and nesting and aliases capped (both are checked while
    composing, before anything is built)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_SPEC_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_SPEC_ALIASES} aliases (*name); a spec needs none")
        self._depth += 1
        try:
            if self._depth > MAX_SPEC_DEPTH:
                raise yaml.YAMLError(f"nested more than {MAX_SPEC_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.constructor.ConstructorError(None, None, "merge keys (<<) are not allowed in a spec",
                                                        key_node.start_mark)
            key = self.construct_object(key_node, deep=deep)
            try:
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark)
                seen[key] = key_node.start_mark.line
            except TypeError:  # an unhashable key: let PyYAML say so
                break
        return super().construct_mapping(node, deep=deep)


def _count_values(obj: Any, budget: int = MAX_SPEC_VALUES) -> int:
    """Scalars in ``obj`` counting shared (aliased) parts each time they appear; stops past ``budget``."""
    stack, n = [obj], 0
    while stack and n <= budget:
        o = stack.pop()
        if isinstance(o, dict):
            stack += list(o.keys()) + list(o.values())
        elif isinstance(o, list):
            stack += o
        else:
            n += 1
    return n


def load_spec(path: str | Path) -> BlockSpec:
    """Load a YAML (or JSON) spec file: a regular file of at most 256 KiB of UTF-8; every problem is one
    ``SpecError`` line naming the file."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise SpecError(f"{p}: spec file not found") from None
    except OSError as err:
        raise SpecError(f"{p}: cannot read the spec file ({err.strerror})") from None
    import stat as stat_mod

    if stat_mod.S_ISDIR(st.st_mode):
        raise SpecError(f"{p}: is a folder, not a spec file")
    if not stat_mod.S_ISREG(st.st_mode):
        raise SpecError(f"{p}: not a regular file (a device, pipe or socket); give a spec YAML file")
    if st.st_size > MAX_SPEC_BYTES:
        raise SpecError(f"{p}: {st.st_size:,} bytes, over the {MAX_SPEC_BYTES:,}-byte limit for a spec file")
    try:
        raw = p.read_bytes()[:MAX_SPEC_BYTES + 1]
    except OSError as err:
        raise SpecError(f"{p}: cannot read the spec file ({err.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise SpecError(f"{p}:{line}: not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start})") from None
    try:
        data = yaml.load(text, Loader=_SpecLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise SpecError(f"{p}{where}: not valid YAML: {problem}") from None
    except RecursionError:
        raise SpecError(f"{p}: not valid YAML: nested too deeply") from None
    except ValueError as err:  # e.g. an integer of thousands of digits
        raise SpecError(f"{p}: not a usable value: {str(err).split(';')[0]}") from None
    if _count_values(data) > MAX_SPEC_VALUES:
        raise SpecError(f"{p}: expands to more than {MAX_SPEC_VALUES:,} values (YAML aliases); a spec is a few fields")
    return spec_from_dict(data, source=str(p))
