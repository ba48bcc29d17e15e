"""RTL as data: Verilog sources and the name of their top module, whoever wrote them (a template, an LLM, a user)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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


def port_header(ports: dict, top: str, net: str = "wire", *, params: list[str] | None = None,
                widths: dict[str, str] | None = None, extra: tuple[str, ...] = ()) -> str:
    """The module header for the common port layout (``BlockSpec.ports()``): clock, active-low reset, one ready/valid
    stream each way, each field a packed vector of lanes. Template tops (``wire``, Verilog-2005) and the header an LLM
    prompt shows and its reply gets back (``logic``: driven by ``assign`` or ``always`` alike) both come from here, and
    so do the parameterised template modules' headers: ``params`` (declarations, ``#(...)``), ``widths`` (field signal
    -> width expression over those parameters, in place of the spec's number) and ``extra`` ports after the streams
    (``"direction [range] name"``)."""
    def rng(f: dict) -> str:
        return f"[{widths[f['signal']]}-1:0] " if widths else f"[{f['lanes'] * f['bits'] - 1}:0] "

    rows = [("input ", "", ports["clock"]), ("input ", "", ports["reset_n"]),
            ("input ", "", ports["in"]["valid"]), ("output", "", ports["in"]["ready"])]
    rows += [("input ", rng(f), f["signal"]) for f in ports["in"]["fields"].values()]
    rows += [("output", "", ports["out"]["valid"]), ("input ", "", ports["out"]["ready"])]
    rows += [("output", rng(f), f["signal"]) for f in ports["out"]["fields"].values()]
    for port in extra:
        d, *r, n = port.split()
        rows.append((f"{d:<6}", f"{' '.join(r)} " if r else "", n))
    w = max(len(r) for _, r, _ in rows)
    opening = f"module {top} #(\n" + ",\n".join(f"    {p}" for p in params) + "\n) (" if params else f"module {top} ("
    return opening + "\n" + ",\n".join(f"    {d} {net} {r:<{w}}{n}" for d, r, n in rows) + "\n);"


def lane_notes(ports: dict) -> list[str]:
    """One comment line per stream field: its lanes, bits and signedness."""
    return [f"//   {f['signal']}: {f['lanes']} lane(s) x {f['bits']} bits, {'signed' if f['signed'] else 'unsigned'}"
            for side in ("in", "out") for f in ports[side]["fields"].values()]


def _fields(ports: dict, side: str) -> list[tuple[str, int]]:
    return [(f["signal"], f["lanes"] * f["bits"]) for f in ports[side]["fields"].values()]


def core_header(ports: dict, name: str, net: str = "logic") -> str:
    """The header of a beat function: the input stream's data fields in, the output stream's data fields out, no
    clock, reset or handshake (``stream_shell`` wraps it)."""
    rows = [("input ", f"[{w - 1}:0] ", s) for s, w in _fields(ports, "in")]
    rows += [("output", f"[{w - 1}:0] ", s) for s, w in _fields(ports, "out")]
    w = max(len(r) for _, r, _ in rows)
    return f"module {name} (\n" + ",\n".join(f"    {d} {net} {r:<{w}}{n}" for d, r, n in rows) + "\n);"


def stream_shell(ports: dict, top: str, core: str, stages: int = 1) -> str:
    """The streaming top around a combinational beat function ``core`` (``core_header``): ready/valid both ways,
    synchronous active-low reset and ``stages`` pipeline registers after the core. All stages move together when the
    output register is empty or taken (``in_ready``), so it takes one beat per cycle, holds ``out_valid`` and the data
    while ``out_ready`` is low, and a beat taken in cycle t leaves in cycle t + ``stages`` at the earliest."""
    if stages < 1:
        raise ValueError(f"a stream shell needs at least one pipeline stage, not {stages}")
    clk, rst_n = ports["clock"], ports["reset_n"]
    iv, ir, ov = ports["in"]["valid"], ports["in"]["ready"], ports["out"]["valid"]
    outs = _fields(ports, "out")
    conn = [f".{s}({s})" for s, _ in _fields(ports, "in")] + [f".{s}(beat_{s})" for s, _ in outs]
    lines = [f"// Generated from the spec by accelsmith: the streaming shell (ready/valid, reset, {stages} pipeline",
             f"// stage(s)) around the combinational beat function `{core}`.",
             port_header(ports, top), "",
             f"    wire advance = !{ov} || {ports['out']['ready']};  // the output register is empty or taken",
             f"    reg [{stages - 1}:0] stage_valid;"]
    lines += [f"    wire [{w - 1}:0] beat_{s};" for s, w in outs]
    lines += [f"    reg  [{w - 1}:0] stage{k}_{s};" for k in range(stages) for s, w in outs]
    lines += ["", f"    {core} beat_function ({', '.join(conn)});", "",
              f"    assign {ir} = advance;",
              f"    assign {ov} = stage_valid[{stages - 1}];"]
    lines += [f"    assign {s} = stage{stages - 1}_{s};" for s, _ in outs]
    shift = iv if stages == 1 else f"{{stage_valid[{stages - 2}:0], {iv}}}"
    lines += ["", f"    always @(posedge {clk}) begin",
              f"        if (!{rst_n}) stage_valid <= {stages}'b0;",
              f"        else if (advance) stage_valid <= {shift};",
              "    end", "", f"    always @(posedge {clk}) begin", "        if (advance) begin"]
    for s, _ in outs:
        lines.append(f"            stage0_{s} <= beat_{s};")
        lines += [f"            stage{k}_{s} <= stage{k - 1}_{s};" for k in range(1, stages)]
    lines += ["        end", "    end", "endmodule", ""]
    return "\n".join(lines)


MAX_BEAT_PORTS = 64  # above this many lane ports a beat function keeps its packed fields (core_header)


def lane_ports(field: dict) -> list[str]:
    """The port of every lane of a stream field: ``<signal>_<i>``, or ``<signal>`` for a one-lane field."""
    return [field["signal"]] if field["lanes"] == 1 else [f"{field['signal']}_{i}" for i in range(field["lanes"])]


def beat_header(ports: dict, name: str, net: str = "logic") -> str:
    """The header of a beat function with every lane its own port (``lane_ports``, signedness declared), so the
    function is written on numbers, not on slices of a packed bus; ``beat_core`` connects it."""
    rows = [(d, f"{'signed ' if f['signed'] else ''}[{f['bits'] - 1}:0] ", p)
            for side, d in (("in", "input "), ("out", "output")) for f in ports[side]["fields"].values()
            for p in lane_ports(f)]
    w = max(len(r) for _, r, _ in rows)
    return f"module {name} (\n" + ",\n".join(f"    {d} {net} {r:<{w}}{n}" for d, r, n in rows) + "\n);"


def beat_ports(ports: dict) -> int:
    return sum(f["lanes"] for side in ("in", "out") for f in ports[side]["fields"].values())


def beat_core(ports: dict, core: str, beat: str) -> str:
    """The beat function (``core_header``) that instantiates ``beat`` (``beat_header``) once: lane i of every field
    at bits [i*W +: W]."""
    conn = [f".{p}({f['signal']}[{i * f['bits']} +: {f['bits']}])" if f["lanes"] > 1 else f".{p}({p})"
            for side in ("in", "out") for f in ports[side]["fields"].values() for i, p in enumerate(lane_ports(f))]
    return "\n".join([f"// Generated from the spec by accelsmith: `{beat}` on the lanes of every field.",
                      core_header(ports, core, net="wire"), "",
                      f"    {beat} u_beat (", "        " + ",\n        ".join(conn), "    );", "endmodule", ""])


def lane_header(ports: dict, name: str, net: str = "logic") -> str:
    """The header of a lane function: one lane of every data field (signedness declared), no clock or handshake."""
    rows = [(d, f"{'signed ' if f['signed'] else ''}[{f['bits'] - 1}:0] ", f["signal"])
            for side, d in (("in", "input "), ("out", "output")) for f in ports[side]["fields"].values()]
    w = max(len(r) for _, r, _ in rows)
    return f"module {name} (\n" + ",\n".join(f"    {d} {net} {r:<{w}}{n}" for d, r, n in rows) + "\n);"


def lane_core(ports: dict, core: str, lane: str) -> str:
    """The beat function (``core_header``) of a lane-parallel block: ``lane`` instantiated once per lane, lane i of
    every field at bits [i*W +: W]. Every field must have the same number of lanes."""
    fields = [f for side in ("in", "out") for f in ports[side]["fields"].values()]
    lanes = {f["lanes"] for f in fields}
    if len(lanes) != 1:
        raise ValueError(f"a lane function needs one lane count on every field, not {sorted(lanes)}")
    conn = ", ".join(f".{f['signal']}({f['signal']}[i*{f['bits']} +: {f['bits']}])" for f in fields)
    return "\n".join([f"// Generated from the spec by accelsmith: `{lane}` once per lane.",
                      core_header(ports, core, net="wire"), "",
                      "    genvar i;",
                      f"    generate for (i = 0; i < {lanes.pop()}; i = i + 1) begin : g_lane",
                      f"        {lane} u_lane ({conn});",
                      "    end endgenerate", "endmodule", ""])
