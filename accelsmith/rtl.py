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


def port_header(ports: dict, top: str, net: str = "wire") -> str:
    """The module header for the common port layout (``BlockSpec.ports()``): clock, active-low reset, one ready/valid
    stream each way, each field a packed vector of lanes. Template tops (``wire``, Verilog-2005) and the header an LLM
    prompt shows and its reply gets back (``logic``: driven by ``assign`` or ``always`` alike) both come from here."""
    rows = [("input ", "", ports["clock"]), ("input ", "", ports["reset_n"]),
            ("input ", "", ports["in"]["valid"]), ("output", "", ports["in"]["ready"])]
    rows += [("input ", f"[{f['lanes'] * f['bits'] - 1}:0] ", f["signal"]) for f in ports["in"]["fields"].values()]
    rows += [("output", "", ports["out"]["valid"]), ("input ", "", ports["out"]["ready"])]
    rows += [("output", f"[{f['lanes'] * f['bits'] - 1}:0] ", f["signal"]) for f in ports["out"]["fields"].values()]
    w = max(len(r) for _, r, _ in rows)
    return f"module {top} (\n" + ",\n".join(f"    {d} {net} {r:<{w}}{n}" for d, r, n in rows) + "\n);"


def lane_notes(ports: dict) -> list[str]:
    """One comment line per stream field: its lanes, bits and signedness."""
    return [f"//   {f['signal']}: {f['lanes']} lane(s) x {f['bits']} bits, {'signed' if f['signed'] else 'unsigned'}"
            for side in ("in", "out") for f in ports[side]["fields"].values()]
