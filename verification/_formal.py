"""Formal proof of a block's output-stream ready/valid handshake with yosys ``sat -tempinduct`` (k-induction).

``prove_rtl(bundle, ports, workdir)`` takes any RTL with the common port layout (``campaigns.formal`` renders a
template instance and proves it). Each property gets its own wrapper (so each gets its own verdict): the wrapper instantiates
the top, keeps one-cycle history registers (what ``$past`` builds) and checks its property with a combinational
immediate assertion, so yosys' time step N is cycle N (cycle 1 is the reset cycle).

What is assumed: ``rst_n`` is low in cycle 1, and the source obeys the input handshake (no offer while ``rst_n`` is
low; an offer not taken stays offered with the same data, across cycles where ``rst_n`` stays high) -- the rules
the design's own output is held to, and what the bench's source does. Every other input (``rst_n`` after cycle 1 too, the sink's ready) is
free in every cycle. The design's registers power up arbitrary (its ``init`` values are removed, since silicon
has none); only the wrapper's two monitor flags start at 0. ``x`` constants in the RTL are read as 0 (yosys'
``sat`` without undef modelling).

An output may be combinational in the input (a pass-through block): ``reset_clears_valid`` and
``no_output_without_input`` accept an offer while the source offers in the same cycle. Those two also have a
stronger form that any registered output meets (no offer the cycle after reset; an offer only after an input was
accepted) and that k-induction closes far more easily; it is proved first, and the property's own form only when
the strong one has a counterexample (the verdict's ``form`` says which).

Verdicts: ``proved`` (yosys closed the k-induction at ``k``), ``bounded`` (no counterexample in ``cycles``
cycles from reset, induction not closed), ``failed`` (a counterexample: the cycle, the handshake signals per
cycle and a VCD), ``timeout`` (``cycles``: how far the base case got), ``error`` (yosys did not run the proof).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from accelsmith.errors import UsageError
from accelsmith.rtl import RtlBundle
from accelsmith.spec import BlockSpec

WRAPPER = "accelsmith_formal_wrap"
ASSUMPTIONS = ("rst_n low in cycle 1 only; the source offers nothing while rst_n is low and holds an offer not "
               "taken (valid and data) while rst_n stays high; all other inputs free in every cycle; the design's registers start arbitrary (init values "
               "removed); x constants read as 0")


@dataclass(frozen=True)
class HandshakeProperty:
    name: str
    says: str    # one line, for reports and docs
    check: str   # Verilog statement over the wrapper's names (see _WRAPPER)
    strong: str | None = None  # a stronger check tried first (it implies ``check``; induction closes it sooner)


# ``stalled``: in the previous cycle out_valid was high and out_ready low, and rst_n was high then and now
PROPERTIES: tuple[HandshakeProperty, ...] = (
    HandshakeProperty("valid_held", "out_valid && !out_ready in cycle t (rst_n high in t and t+1) => out_valid in t+1",
                      "if (stalled) assert(out_valid);"),
    HandshakeProperty("data_stable", "same condition => every out data signal in t+1 equals its value in t",
                      "if (stalled) assert(out_bus == past_out_bus);"),
    HandshakeProperty("reset_clears_valid", "rst_n low in cycle t => out_valid low in t+1 (unless in_valid is high "
                      "in t+1: a pass-through offer)", "if (started && !past_rst_n) assert(!out_valid || in_v);",
                      "if (started && !past_rst_n) assert(!out_valid);"),
    HandshakeProperty("no_output_without_input", "out_valid high => an input beat was accepted since the last reset, "
                      "or one is offered in this cycle", "if (started && out_valid) assert(seen || (rst_n_ok && in_v));",
                      "if (started && out_valid) assert(seen || fire);"),
)

_WRAPPER = """\
// accelsmith formal wrapper: property {prop} on the output stream of {top}
module {wrap} (
{port_decls}
);
{wire_decls}
    {top} dut (
{conns}
    );

    // Monitor flags (init 0 in cycle 1 only; k-induction treats them as free state like any register)
    reg started = 1'b0;   // a cycle precedes this one, so the history registers mean something
    reg seen = 1'b0;      // an input beat was accepted since the last reset
    // History (no init: arbitrary in cycle 1, never read there)
    reg past_rst_n, past_out_valid, past_out_ready, past_in_valid, past_in_ready;
    reg [{ow}-1:0] past_out_bus;
    reg [{iw}-1:0] past_in_bus;
    wire [{ow}-1:0] out_bus = {{{out_sigs}}};
    wire [{iw}-1:0] in_bus = {{{in_sigs}}};
    wire in_v = {in_valid};
    wire rst_n_ok = {rst};
    wire fire = {rst} && {in_valid} && {in_ready};
    wire stalled = started && past_rst_n && {rst} && past_out_valid && !past_out_ready;
    wire in_stalled = started && past_rst_n && {rst} && past_in_valid && !past_in_ready;
    always @(posedge {clk}) begin
        started <= 1'b1;
        seen <= {rst} && (seen || fire);
        past_rst_n <= {rst};
        past_out_valid <= {out_valid};
        past_out_ready <= {out_ready};
        past_out_bus <= out_bus;
        past_in_valid <= {in_valid};
        past_in_ready <= {in_ready};
        past_in_bus <= in_bus;
    end

    always @(*) begin
        if (!started) assume(!{rst});
        if (!{rst}) assume(!{in_valid});  // the source obeys the handshake: no offer in reset,
        if (in_stalled) assume({in_valid} && in_bus == past_in_bus);  // and an offer not taken is held
        {check}
    end
endmodule
"""

# Passes as data: the yosys flow, in order. The design's init values go before flattening (the wrapper keeps its
# own); memories become flip-flops and async resets synchronous, since sat models neither.
_FLOW: tuple[str, ...] = (
    "read_verilog -sv {sources}",
    "read_verilog -formal {wrapper}",
    "prep -top {wrap}",
    "setattr -unset init */w:* {wrap}/w:* %d",
    "flatten",
    "memory_map",
    "opt_clean",
    "async2sync",
    "dffunmap",
    "tee -q -o {stat} stat",
    "tee -q -o {log} sat -tempinduct -prove-asserts -set-assumes -maxsteps {depth} -timeout {sat_timeout} "
    "{shows} -dump_vcd {vcd}",
)


def wrapper_text(prop: HandshakeProperty, top: str, ports: dict, check: str | None = None) -> str:
    """The formal wrapper for one property (its ``check``, or the one given) around ``top`` with ``ports``
    (``BlockSpec.ports()`` layout)."""
    clk, rst = ports["clock"], ports["reset_n"]
    inp, out = ports["in"], ports["out"]

    def width(f: dict) -> int:
        return f["lanes"] * f["bits"]

    in_fields = list(inp["fields"].values())
    out_fields = list(out["fields"].values())
    decls = [f"input wire {clk}", f"input wire {rst}", f"input wire {inp['valid']}"]
    decls += [f"input wire [{width(f) - 1}:0] {f['signal']}" for f in in_fields]
    decls += [f"input wire {out['ready']}"]
    wires = [f"    wire {inp['ready']};", f"    wire {out['valid']};"]
    wires += [f"    wire [{width(f) - 1}:0] {f['signal']};" for f in out_fields]
    names = [clk, rst, inp["valid"], inp["ready"], *(f["signal"] for f in in_fields), out["valid"], out["ready"],
             *(f["signal"] for f in out_fields)]
    return _WRAPPER.format(
        prop=prop.name, top=top, wrap=WRAPPER, port_decls=",\n".join(f"    {d}" for d in decls),
        wire_decls="\n".join(wires), conns=",\n".join(f"        .{n}({n})" for n in names),
        ow=sum(width(f) for f in out_fields), out_sigs=", ".join(f["signal"] for f in out_fields),
        iw=sum(width(f) for f in in_fields), in_sigs=", ".join(f["signal"] for f in in_fields),
        clk=clk, rst=rst, in_valid=inp["valid"], in_ready=inp["ready"], out_valid=out["valid"],
        out_ready=out["ready"], check=check or prop.check)


_SHOWN = ("reset_n", "in.valid", "in.ready", "out.valid", "out.ready")


def _shown(ports: dict) -> list[str]:
    out = []
    for key in _SHOWN:
        d = ports
        for part in key.split("."):
            d = d[part]
        out.append(d)
    return out


def parse_sat_log(text: str, depth: int) -> dict:
    """Verdict from a ``sat -tempinduct`` log: status, k / cycles, and for a counterexample the shown signals per
    cycle ({cycle: {signal: value}})."""
    bases = [int(n) for n in re.findall(r"^Base case for induction length (\d+) proven\.", text, re.M)]
    reached = max(bases, default=0)
    if "model found for base case: FAIL!" in text:
        cycle = max((int(n) for n in re.findall(r"^\[base case (\d+)\]", text, re.M)), default=None)
        model = text.split("model found for base case: FAIL!", 1)[1]
        trace: dict[int, dict[str, int]] = {}
        for step, sig, dec in re.findall(r"^\s+(\d+)\s+\\(\S+)\s+(-?\d+)\s", model, re.M):
            trace.setdefault(int(step), {})[sig] = int(dec)
        return {"status": "failed", "cycle": cycle, "trace": trace}
    if "Induction step proven: SUCCESS!" in text:
        k = max(int(n) for n in re.findall(r"^\[induction step (\d+)\]", text, re.M))
        return {"status": "proved", "k": k, "cycles": reached}
    if "Interrupted SAT solver: TIMEOUT!" in text:
        return {"status": "timeout", "cycles": reached}
    if "Reached maximum number of time steps -> proof failed." in text:
        return {"status": "bounded", "cycles": depth}
    return {"status": "error", "cycles": reached}


def prove_property(prop: HandshakeProperty, sources: list[str], top: str, ports: dict, workdir: Path, *,
                   depth: int, timeout_s: float) -> dict:
    """One property: its strong form first where it has one (kept unless it has a counterexample), else its own
    form; ``form`` in the verdict says which was proved."""
    if prop.strong:
        strong = _prove_check(prop, prop.strong, f"{prop.name}_strong", sources, top, ports, workdir, depth=depth,
                              timeout_s=timeout_s)
        if strong["status"] != "failed":
            return strong | {"form": "strong"}
        Path(strong.get("vcd", workdir / "none")).unlink(missing_ok=True)  # not a counterexample to the rule
        own = _prove_check(prop, prop.check, prop.name, sources, top, ports, workdir, depth=depth,
                           timeout_s=timeout_s)
        return own | {"form": "pass-through", "seconds": round(own["seconds"] + strong["seconds"], 2)}
    return _prove_check(prop, prop.check, prop.name, sources, top, ports, workdir, depth=depth, timeout_s=timeout_s)


def _prove_check(prop: HandshakeProperty, check: str, tag: str, sources: list[str], top: str, ports: dict,
                 workdir: Path, *, depth: int, timeout_s: float) -> dict:
    """One check: its wrapper, one yosys run (``sources`` relative to ``workdir``), its verdict."""
    from accelsmith import sandbox
    from accelsmith.verification._yosys import run_yosys

    (workdir / f"wrap_{tag}.v").write_text(wrapper_text(prop, top, ports, check))
    log, vcd = workdir / f"sat_{tag}.log", workdir / f"cex_{tag}.vcd"
    for stale in (log, vcd):
        stale.unlink(missing_ok=True)
    shows = " ".join(f"-show {s}" for s in _shown(ports))
    script = workdir / f"formal_{tag}.ys"
    script.write_text("\n".join(_FLOW).format(
        sources=" ".join(sources), wrapper=f"wrap_{tag}.v", wrap=WRAPPER, stat=f"stat_{tag}.txt", log=log.name,
        depth=depth, sat_timeout=max(1, int(timeout_s)), shows=shows, vcd=vcd.name) + "\n")
    t0 = time.perf_counter()
    out = run_yosys(script.name, workdir, timeout_s + 60)  # sat's own -timeout bounds each SAT call first
    row = {"property": prop.name, "seconds": round(time.perf_counter() - t0, 2)}
    text = sandbox.read_capped(log, 8 << 20) if log.exists() else ""
    verdict = parse_sat_log(text, depth)
    if out.killed == "time":
        verdict = {"status": "timeout", "cycles": verdict.get("cycles", 0)}
    elif verdict["status"] == "error" or not out.ok:
        tail = sandbox.read_capped(out.log, 64 << 10).strip().splitlines() if out.log and out.log.exists() else []
        errs = [ln for ln in tail if "ERROR" in ln] or tail[-1:] or [out.describe("yosys")]
        verdict = {"status": "error", "detail": errs[0][:300]}
    if verdict["status"] == "failed" and vcd.exists():
        verdict["vcd"] = str(vcd)
    else:
        vcd.unlink(missing_ok=True)  # an induction-step model is no counterexample
    return row | verdict


def prove_rtl(bundle: RtlBundle, ports: dict, workdir: Path, *, depth: int = 20, timeout_s: float = 120.0,
              properties: tuple[HandshakeProperty, ...] = PROPERTIES, label: str | None = None) -> dict:
    """Every handshake property on ``bundle`` (its top has ``ports``), one yosys run each."""
    from accelsmith.verification._security import check_rtl, guard

    if depth < 1:
        raise UsageError(f"formal depth must be at least 1 cycle (got {depth!r})")
    check_rtl(bundle.files)  # untrusted RTL: the scan runs before any tool reads it
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sources = bundle.write(workdir / "rtl")
    guard(sources, workdir, ("yosys",))
    t0 = time.perf_counter()
    rows = [prove_property(p, [f"rtl/{s.name}" for s in sources], bundle.top, ports, workdir, depth=depth,
                           timeout_s=timeout_s) for p in properties]
    return {"name": label or bundle.top, "top": bundle.top, "depth": depth, "assumptions": ASSUMPTIONS,
            "properties": rows, "seconds": round(time.perf_counter() - t0, 2),
            "passed": not any(r["status"] in ("failed", "error") for r in rows)}


def verdict_text(row: dict) -> str:
    """One short cell: 'proved k=2', 'bounded 20', 'FAILED cycle 3', 'timeout (12 cycles)', 'error: ...'."""
    s = row["status"]
    if s == "proved":
        return f"proved k={row['k']}"
    if s == "bounded":
        return f"bounded {row['cycles']}"
    if s == "failed":
        return f"FAILED cycle {row['cycle']}"
    if s == "timeout":
        return f"timeout ({row['cycles']} cycles)"
    return f"error: {row.get('detail', '')}"


def formal_summary(rows: list[dict]) -> str:
    """Counts of the verdicts in ``rows`` (property results), most conclusive first: '3 proved, 1 bounded'."""
    order = ("proved", "bounded", "timeout", "failed", "error")
    counts = {s: sum(r["status"] == s for r in rows) for s in order}
    return ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no properties"
