"""What a prompt says about a block: its spec, its port list, and structured feedback as compact text.

Only agent-visible material goes in: the spec, the spec-derived test plan's port layout, lint
diagnostics and bench results. Grading harnesses never pass through here.
"""

from __future__ import annotations

import inspect
import json

from accelsmith.prompts import load
from accelsmith.rtl import (beat_header as rtl_beat_header, core_header as rtl_core_header,
                            lane_header as rtl_lane_header, lane_notes,
                            port_header as rtl_port_header)
from accelsmith.spec import BlockSpec
from accelsmith.verification import TestPlan

MAX_WINDOW_ROWS = 14


LANE_LAYOUT = ("Lane i of a multi-lane port sits at bits [i*W +: W] (W: the lane's width); signed lanes are two's "
               "complement.")


def describe_spec(spec: BlockSpec, protocol: bool = True) -> str:
    """The spec as a prompt reads it: the kind's description, its parameters and, with ``protocol``, the streaming
    protocol (without: the lane layout only, for a model that writes a beat function inside a generated shell)."""
    doc = inspect.cleandoc(type(spec).__doc__ or "")
    fields = {k: v for k, v in spec.model_dump(mode="json").items() if k not in ("version", "name")}
    notes = {k: f.description for k, f in type(spec).model_fields.items() if f.description and k in fields}
    # Verilog has no true/null: small models copied them into localparams, so booleans go as 1/0 and
    # unset fields are named apart (their description says what unset means)
    shown = {k: int(v) if isinstance(v, bool) else v for k, v in fields.items() if v is not None}
    unset = [k for k, v in fields.items() if v is None]
    lines = [f"Block kind: {spec.kind}", doc, "", f"Parameters (booleans as 1/0): {json.dumps(shown)}"]
    if unset:
        lines.append(f"Not set (see below): {', '.join(unset)}")
    lines += [f"  {k}: {d}" for k, d in notes.items()]
    return "\n".join(lines) + "\n\n" + (load("protocol").strip() if protocol else LANE_LAYOUT)


def module_header(plan: TestPlan, top: str) -> str:
    """The exact module header the bench drives, from the spec-derived test plan, with ``logic`` ports (the generator
    the template tops use, ``accelsmith.rtl.port_header``): what the prompt shows and what the reply gets back."""
    ports = {"clock": plan.clock, "reset_n": plan.reset_n, "in": plan.inp.model_dump(), "out": plan.out.model_dump()}
    return rtl_port_header(ports, top, net="logic")


def port_header(plan: TestPlan, top: str) -> str:
    """The header for the prompt: ``module_header`` and one note per stream field."""
    ports = {"clock": plan.clock, "reset_n": plan.reset_n, "in": plan.inp.model_dump(), "out": plan.out.model_dump()}
    return f"{module_header(plan, top)}\n" + "\n".join(lane_notes(ports))


def core_port_header(plan: TestPlan, core: str) -> tuple[str, str]:
    """(the exact header of a beat function ``core``, the same with one note per data field for the prompt)."""
    ports = {"clock": plan.clock, "reset_n": plan.reset_n, "in": plan.inp.model_dump(), "out": plan.out.model_dump()}
    header = rtl_core_header(ports, core)
    return header, f"{header}\n" + "\n".join(lane_notes(ports))


def beat_port_header(plan: TestPlan, beat: str) -> tuple[str, str]:
    """(the exact header of a beat function ``beat`` with one port per lane, the same with one note per field)."""
    ports = {"clock": plan.clock, "reset_n": plan.reset_n, "in": plan.inp.model_dump(), "out": plan.out.model_dump()}
    header = rtl_beat_header(ports, beat)
    notes = []
    for side in ("in", "out"):
        for f in ports[side]["fields"].values():
            what = (f"{f['lanes']} lanes, ports {f['signal']}_0 .. {f['signal']}_{f['lanes'] - 1}, {f['bits']} bits each"
                    if f["lanes"] > 1 else f"one lane, port {f['signal']}, {f['bits']} bits")
            notes.append(f"//   {f['signal']}: {what}, {'signed' if f['signed'] else 'unsigned'}")
    return header, f"{header}\n" + "\n".join(notes)


def lane_port_header(plan: TestPlan, lane: str) -> tuple[str, str]:
    """(the exact header of a lane function ``lane``, the same with one note per port for the prompt)."""
    ports = {"clock": plan.clock, "reset_n": plan.reset_n, "in": plan.inp.model_dump(), "out": plan.out.model_dump()}
    header = rtl_lane_header(ports, lane)
    notes = [f"//   {f['signal']}: one lane, {f['bits']} bits, {'signed' if f['signed'] else 'unsigned'}"
             for side in ("in", "out") for f in ports[side]["fields"].values()]
    return header, f"{header}\n" + "\n".join(notes)


def rtl_text(files: dict[str, str]) -> str:
    return "\n".join(f"// file: {name}\n{text.rstrip()}" for name, text in sorted(files.items()))


def feedback_text(feedback: dict) -> str:
    """Diagnostics, first failing vectors and the waveform window as short lines."""
    out = []
    for d in feedback.get("errors", [])[:10]:
        where = f"{d.get('file') or ''}:{d.get('line') or ''}".strip(":")
        out.append(f"- {d['tool']} {d['severity']} {where} [{d.get('code') or ''}] {d['message'][:200]}")
    for case in feedback.get("failing_cases", [])[:2]:
        head = f"- bench case {case['case']!r} on {case['sim']}: "
        if case.get("timed_out"):
            head += "timed out (no/too few output beats); "
        head += f"received {case.get('received_beats')}/{case.get('expected_beats')} output beats"
        out.append(head)
        for v in case.get("protocol_violations", [])[:2]:
            out.append(f"    ready/valid rule broken on {v['port']} at cycle {v['cycle']}: {v['rule']}")
        for m in case.get("mismatches", [])[:3]:
            out.append(f"    output beat {m['beat']} field {m['field']} lane {m['lane']} at cycle {m['cycle']}: "
                       f"expected {m['expected']}, got {m['got']}; inputs of that job: {json.dumps(m.get('inputs'))}")
    win = feedback.get("failure_window")
    if win and win.get("signals"):
        out.append(f"- waveform of the DUT ports around the first mismatch ({win['case']}, {win['sim']}), "
                   "value changes as time_ps=value:")
        for name, changes in list(win["signals"].items())[:MAX_WINDOW_ROWS]:
            out.append(f"    {name}: " + " ".join(f"{t}={v}" for t, v in changes[:12]))
    return "\n".join(out) or "- (no details: the previous reply held no usable code)"
