"""Template contract and the one generator of template tops.

A template renders a spec into an ``RtlBundle``: the fixed, parameterised Verilog shipped beside it plus a
generated top whose port list comes from the spec's ``ports()`` (the same generator, ``accelsmith.rtl.port_header``,
writes the header an LLM prompt shows) and which fixes the module's parameters and, where the block computes a
function by table, holds the table as a ``case`` function (``lookup_function``). Templates register against their
kind's spec class.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from accelsmith.registry import Registry
from accelsmith.rtl import RtlBundle, port_header
from accelsmith.spec import BlockSpec

__all__ = ["Core", "RtlBundle", "Template", "VerilogTemplate", "core_text", "get", "known_templates", "lane_luts",
           "lookup_function", "packed_literal", "pipeline_top", "read_hdl", "register_template", "top_wrapper"]


class Template(Protocol):
    spec: type[BlockSpec]

    def render(self, spec: BlockSpec) -> RtlBundle: ...


def _load_templates() -> None:
    """Import every template subpackage (each registers its template)."""
    import importlib
    import pkgutil

    package = __name__.rpartition(".")[0]
    for mod in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if mod.ispkg:
            importlib.import_module(f"{package}.{mod.name}")


TEMPLATES: Registry[Template] = Registry("template", load=_load_templates)


def register_template(template: Template) -> Template:
    """Register ``template`` against its spec class (``template.spec``); a second one for a kind is refused."""
    return TEMPLATES.register(template.spec, template)


def get(kind) -> Template:
    """The template for a block kind (a name, a spec class or a spec); a miss lists the known kinds."""
    return TEMPLATES.get(kind)


def known_templates() -> list[str]:
    return TEMPLATES.names()


def read_hdl(package_file: str, name: str) -> str:
    """Read a Verilog file shipped beside a template module."""
    return (Path(package_file).parent / name).read_text()


def packed_literal(values: list[int], bits: int) -> str:
    """Verilog literal with values[c] at bits [c*bits +: bits] (entry 0 least significant)."""
    word = 0
    for c, v in enumerate(values):
        word |= (v & ((1 << bits) - 1)) << (c * bits)
    return f"{len(values) * bits}'h{word:x}"


def lookup_function(name: str, in_bits: int, out_bits: int, entries: Iterable[tuple[int, int]], says: str) -> str:
    """A Verilog function ``name(x)`` holding a table as a ``case`` (codes and values as two's-complement hex;
    codes not listed give 0); ``says`` is the one-line comment stating what the table computes."""
    mi, mo = (1 << in_bits) - 1, (1 << out_bits) - 1
    rows = "\n".join(f"                {in_bits}'h{c & mi:x}: {name} = {out_bits}'h{v & mo:x};" for c, v in entries)
    return (f"    // {says}\n"
            f"    function [{out_bits - 1}:0] {name};\n"
            f"        input [{in_bits - 1}:0] x;\n"
            f"        begin\n"
            f"            case (x)\n{rows}\n"
            f"                default: {name} = {out_bits}'d0;\n"
            f"            endcase\n"
            f"        end\n"
            f"    endfunction\n")


def lane_luts(function: str, lanes: int, in_bits: int, out_bits: int) -> str:
    """``lut_in`` / ``lut_out`` buses, one table lookup per lane: what a core with a table port connects to."""
    return (f"    wire [{lanes * in_bits - 1}:0] lut_in;\n"
            f"    wire [{lanes * out_bits - 1}:0] lut_out;\n"
            f"    genvar i;\n"
            f"    generate\n"
            f"        for (i = 0; i < {lanes}; i = i + 1) begin : g_lut\n"
            f"            assign lut_out[i*{out_bits} +: {out_bits}] = {function}(lut_in[i*{in_bits} +: {in_bits}]);\n"
            f"        end\n"
            f"    endgenerate\n")


@dataclass(frozen=True)
class Core:
    """What a template's top (module ``top``) instantiates: ``module`` (from ``<module>.v`` beside the template, or
    ``file``) with ``params`` (name -> Verilog value), after ``body`` (tables, wires) and with ``extra`` port
    connections (name -> net).

    The module's header is generated (``core_text``): its parameters in ``params``' order (``integer`` unless
    ``ranges`` gives a packed range; the top sets them all), then the spec's ports with each stream field's width written as ``widths``
    says (an expression over the parameters, checked against the spec), then the ``ports`` beyond the streams."""

    top: str
    module: str
    params: dict[str, str | int]
    body: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    file: str = ""
    widths: dict[str, str] = field(default_factory=dict)
    ports: tuple[str, ...] = ()
    ranges: dict[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.file or f"{self.module}.v"


HEADER = "// @header\n"
"""The line of a template's Verilog file that its generated module header replaces."""

_WIDTH_NODES = (ast.Expression, ast.BinOp, ast.Name, ast.Constant, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.LShift)


def _width(expr: str, values: dict[str, int]) -> int:
    """The value of a width expression (names, integers, + - * <<) under the module's integer parameters."""
    tree = ast.parse(expr, mode="eval")
    bad = [type(n).__name__ for n in ast.walk(tree) if not isinstance(n, _WIDTH_NODES)]
    if bad:
        raise ValueError(f"width {expr!r}: only names, integers, + - * << are allowed, not {bad[0]}")
    return eval(compile(tree, "<width>", "eval"), {"__builtins__": {}}, values)  # noqa: S307 (checked above)


def core_text(folder: Path, core: Core, ports: dict, defaults: Core | None = None) -> str:
    """``core``'s Verilog file (in ``folder``) with its module header generated from the spec's ``ports`` at the
    ``HEADER`` line; the parameters' defaults come from ``defaults`` (the module's instance for its kind's default
    spec), so the file reads the same for every spec of a kind (mutation over a grid mutates that one text) and
    the top sets every value. A field without a width, or a width that disagrees with the spec, is a template
    defect."""
    defaults = defaults or core
    if defaults.module != core.module or list(defaults.params) != list(core.params):
        raise ValueError(f"{core.module}: the defaults are for {defaults.module} with parameters "
                         f"{', '.join(defaults.params)}, not {', '.join(core.params)}")
    text = (folder / core.source).read_text()
    if text.count(HEADER) != 1:
        raise ValueError(f"{core.source}: needs exactly one line {HEADER.strip()!r} where its module header goes")
    values = {k: v for k, v in core.params.items() if isinstance(v, int)}
    for side in ("in", "out"):
        for f in ports[side]["fields"].values():
            if f["signal"] not in core.widths:
                raise ValueError(f"{core.module}: no width for port {f['signal']!r}; the core declares "
                                 f"{', '.join(core.widths) or 'none'}")
            if (got := _width(core.widths[f["signal"]], values)) != f["lanes"] * f["bits"]:
                raise ValueError(f"{core.module}: port {f['signal']} is {core.widths[f['signal']]} = {got} bits, "
                                 f"the spec says {f['lanes']} x {f['bits']}")
    # a packed table's default is 0 (the top sets it)
    params = [f"parameter {core.ranges[k]} {k} = 0" if k in core.ranges else f"parameter integer {k} = {v}"
              for k, v in defaults.params.items()]
    header = port_header(ports, core.module, params=params, widths=core.widths, extra=core.ports)
    return text.replace(HEADER, header + "\n", 1)


def top_wrapper(spec: BlockSpec, top: str, core: Core) -> str:
    """The generated top: the spec's port list, then ``core`` instantiated with every stream port connected."""
    ports = spec.ports()
    names = [ports["clock"], ports["reset_n"], ports["in"]["valid"], ports["in"]["ready"],
             *(f["signal"] for f in ports["in"]["fields"].values()), ports["out"]["valid"], ports["out"]["ready"],
             *(f["signal"] for f in ports["out"]["fields"].values())]
    conns = [f".{n}({n})" for n in names] + [f".{k}({v})" for k, v in core.extra.items()]
    params = [f".{k}({v})" for k, v in core.params.items()]
    return (f"// Generated by accelsmith from spec {spec.spec_hash}: {spec.summary()}\n"
            f"{port_header(ports, top)}\n{core.body}"
            f"    {core.module} #(\n{_wrap(params, 8)}\n    ) u_{core.module} (\n{_wrap(conns, 8)}\n    );\n"
            f"endmodule\n")


def pipeline_top(spec: BlockSpec, top: str, stages: list[tuple[Core, dict]]) -> str:
    """The generated top of a fused block: ``stages`` (each a core and its own spec's ``ports()``) chained in stream
    order, each one's output stream wired to the next one's input stream (one data field between stages), the
    first stage's input fields and the last stage's output field on the spec's ports, in the order ``ports()``
    lists them. At most one stage may hold tables (a ``body``)."""
    ports = spec.ports()
    if sum(bool(core.body) for core, _ in stages) > 1:
        raise ValueError("pipeline_top: more than one stage holds tables; their wires would collide")
    top_in = [f["signal"] for f in ports["in"]["fields"].values()]
    top_out = [f["signal"] for f in ports["out"]["fields"].values()]
    clk, rst = ports["clock"], ports["reset_n"]
    wires, insts = [], []
    for i, (core, own) in enumerate(stages):
        last = i == len(stages) - 1
        ins, outs = list(own["in"]["fields"].values()), list(own["out"]["fields"].values())
        src = (ports["in"]["valid"], ports["in"]["ready"], top_in) if i == 0 else (
            f"s{i - 1}_valid", f"s{i - 1}_ready", [f"s{i - 1}_data"])
        if last:
            dst = (ports["out"]["valid"], ports["out"]["ready"], top_out)
        else:
            if len(outs) != 1:
                raise ValueError(f"pipeline_top: stage {core.module} has {len(outs)} output fields; chaining needs one")
            w = outs[0]["lanes"] * outs[0]["bits"]
            wires.append(f"    wire s{i}_valid, s{i}_ready;\n    wire [{w - 1}:0] s{i}_data;  // {core.module} -> next\n")
            dst = (f"s{i}_valid", f"s{i}_ready", [f"s{i}_data"])
        if len(ins) != len(src[2]) or len(outs) != len(dst[2]):
            raise ValueError(f"pipeline_top: stage {core.module}'s fields do not match its neighbours'")
        conns = [f".{own['clock']}({clk})", f".{own['reset_n']}({rst})",
                 f".{own['in']['valid']}({src[0]})", f".{own['in']['ready']}({src[1]})",
                 *(f".{f['signal']}({n})" for f, n in zip(ins, src[2])),
                 f".{own['out']['valid']}({dst[0]})", f".{own['out']['ready']}({dst[1]})",
                 *(f".{f['signal']}({n})" for f, n in zip(outs, dst[2])),
                 *(f".{k}({v})" for k, v in core.extra.items())]
        params = [f".{k}({v})" for k, v in core.params.items()]
        insts.append(f"    {core.module} #(\n{_wrap(params, 8)}\n    ) u{i}_{core.module} (\n{_wrap(conns, 8)}\n    );\n")
    body = "".join(core.body for core, _ in stages)
    return (f"// Generated by accelsmith from spec {spec.spec_hash}: {spec.summary()}\n"
            f"{port_header(ports, top)}\n{body}{''.join(wires)}{''.join(insts)}endmodule\n")


def _wrap(items: list[str], indent: int, width: int = 112) -> str:
    """``items`` joined by ', ' in lines of at most ``width`` characters (a long literal gets its own line)."""
    lines, line = [], ""
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if line and len(line) + 1 + len(piece) > width - indent:
            lines.append(line)
            line = piece
        else:
            line = f"{line} {piece}" if line else piece
    lines.append(line)
    return "\n".join(" " * indent + ln for ln in lines)


class VerilogTemplate:
    """A built-in template: ``spec`` (the kind's spec class) and ``core(spec) -> Core``; ``render`` checks the
    spec's class and writes the module's Verilog file (beside ``core``, header generated) plus the generated top.
    ``default(spec)`` is the spec whose core gives the module's parameter defaults (the kind's default spec; a kind
    with several modules, e.g. GEMM's two dataflows, names the default of the same module)."""

    def __init__(self, spec: type[BlockSpec], core: Callable[[BlockSpec], Core],
                 default: Callable[[BlockSpec], BlockSpec] | None = None):
        self.spec, self.core = spec, core
        self.default = default or (lambda s: type(s)())
        self.folder = Path(inspect.getfile(core)).parent

    def module(self, spec: BlockSpec) -> tuple[Core, str]:
        """The core ``spec`` instantiates and its module's Verilog text (the same for every spec of the module)."""
        if not isinstance(spec, self.spec):
            raise TypeError(f"the {self.spec.kind} template renders {self.spec.__name__}, got {type(spec).__name__}")
        core = self.core(spec)
        return core, core_text(self.folder, core, spec.ports(), self.core(self.default(spec)))

    def render(self, spec: BlockSpec) -> RtlBundle:
        core, text = self.module(spec)
        return RtlBundle(files={core.source: text, f"{core.top}.v": top_wrapper(spec, core.top, core)}, top=core.top)


GoldenModel = Callable[..., object]
