"""Structured feedback for a repair: Diagnostic records, the first failing vectors with their inputs,
and a short waveform window of the DUT's ports around the first mismatch. No raw logs."""

from __future__ import annotations

import shutil
from pathlib import Path

from accelsmith.agents._vcd import read_vcd, window_around_cycle
from accelsmith.runstore import write_json
from accelsmith.verification import TestPlan, run_bench

MAX_MISMATCHES = 5
MAX_CASES = 3
MAX_INPUT_BEATS = 4
WAVES_TIMEOUT_S = 120.0


def _job_inputs(case, beat: int) -> tuple[list[dict], int]:
    """Input beats of the job that produced output beat ``beat`` (first few), and the job index."""
    jobs = max(1, case.jobs)
    in_per, out_per = max(1, len(case.inputs) // jobs), max(1, len(case.expected) // jobs)
    job = min(jobs - 1, beat // out_per)
    return case.inputs[job * in_per:(job + 1) * in_per][:MAX_INPUT_BEATS], job


def failing_vectors(bench: dict, testplan: TestPlan | None) -> list[dict]:
    cases = {c.name: c for c in testplan.cases} if testplan else {}
    failing = []
    for sim, res in (bench or {}).items():
        for case in res["cases"]:
            if case["passed"]:
                continue
            mismatches = []
            for m in case.get("mismatches", [])[:MAX_MISMATCHES]:
                m = dict(m)
                if case["case"] in cases:
                    m["inputs"], m["job"] = _job_inputs(cases[case["case"]], m["beat"])
                mismatches.append(m)
            failing.append({"sim": sim, "case": case["case"], "timed_out": case.get("timed_out", False),
                            "crashed": case.get("crashed", False), "received_beats": case.get("received_beats"),
                            "expected_beats": case.get("expected_beats"), "mismatches": mismatches,
                            "protocol_violations": list(case.get("protocol_violations") or [])[:MAX_MISMATCHES]})
    return failing[:MAX_CASES]


def build_feedback(state: dict, testplan: TestPlan | None) -> dict:
    errors = [d for d in state.get("diagnostics", []) if d["severity"] == "error"]
    return {"iteration": state["iteration"], "errors": errors[:20],
            "failing_cases": failing_vectors(state.get("bench") or {}, testplan),
            "previous_rtl": dict(state.get("rtl") or {})}


MAX_VCD_BYTES = 128 << 20


def rtl_sources(folder: Path) -> list[Path]:
    """The files a tool compiles: Verilog and SystemVerilog sources (headers are only included)."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix in (".v", ".sv")) if Path(folder).is_dir() else []


def failure_window(run_dir: Path, it_dir: Path, top: str, testplan: TestPlan, failing: list[dict]) -> dict | None:
    """Re-run the first failing case with waves (Verilator writes VCD) and cut a window of the ports.

    Writes ``iter_NN/failure_window.json`` and keeps the VCD beside it; None when no case mismatched.
    """
    first = next((f for f in failing if f["mismatches"] or f["timed_out"]), None)
    if first is None or not shutil.which("verilator", path=_tool_path()):
        return None
    case_name = first["case"]
    cycle = first["mismatches"][0]["cycle"] if first["mismatches"] else None
    build = it_dir / "waves_verilator"
    res = run_bench(rtl_sources(it_dir / "rtl"), top, testplan, build, sim="verilator",
                    timeout_s=WAVES_TIMEOUT_S, waves=True, cases=[case_name])
    vcds = sorted(build.rglob("*.vcd"))
    if not res.built or not vcds or vcds[0].stat().st_size > MAX_VCD_BYTES:  # untrusted output: read only so much
        return None
    vcd = it_dir / f"failure_{case_name}.vcd"
    shutil.copyfile(vcds[0], vcd)
    ports = {testplan.clock, testplan.reset_n, testplan.inp.valid, testplan.inp.ready,
             testplan.out.valid, testplan.out.ready}
    ports |= {f.signal for f in testplan.inp.fields.values()} | {f.signal for f in testplan.out.fields.values()}
    changes, timescale = read_vcd(vcd, ports)
    if cycle is None:  # a timeout: show the last cycles before the bench gave up
        cycle = max(1, len(changes.get(testplan.clock, [])) // 2 - 2)
    t_start, t_end, signals = window_around_cycle(changes, testplan.clock, testplan.reset_n, cycle)
    window = {"sim": "verilator", "case": case_name, "vcd": str(vcd.relative_to(run_dir)), "cycle": cycle,
              "timescale": timescale, "t_start": t_start, "t_end": t_end, "signals": signals}
    write_json(it_dir / "failure_window.json", window)
    shutil.rmtree(build, ignore_errors=True)  # the copied VCD is what the review page needs
    return window


def _tool_path() -> str:
    from accelsmith.tools import tool_env

    return tool_env()["PATH"]
