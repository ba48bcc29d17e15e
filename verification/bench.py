"""The one generic cocotb bench: executes any TestPlan (JSON) against a ready/valid streaming DUT.

Loaded by the simulator as the cocotb test module. ``ACCELSMITH_PLAN`` names the plan file and
``ACCELSMITH_RESULTS`` the folder that receives one JSON result per case; one cocotb test is
registered per plan case so the JUnit XML lists every case. Only data is read from the plan.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from accelsmith.verification._testplan import LaneField, StreamPort, TestCase, TestPlan

MAX_REPORTED_MISMATCHES = 20
TRAILING_CYCLES = 16  # cycles watched after the last expected beat, to catch extra output beats


def pack(beat: dict[str, list[int]], port: StreamPort) -> dict[str, int]:
    words = {}
    for name, f in port.fields.items():
        word = 0
        mask = (1 << f.bits) - 1
        for lane, v in enumerate(beat[name]):
            word |= (int(v) & mask) << (lane * f.bits)
        words[f.signal] = word
    return words


def unpack_lanes(word: int, f: LaneField) -> list[int]:
    mask = (1 << f.bits) - 1
    out = []
    for lane in range(f.lanes):
        v = (word >> (lane * f.bits)) & mask
        if f.signed and v >> (f.bits - 1):
            v -= 1 << f.bits
        out.append(v)
    return out


def _read_beat(dut, port: StreamPort) -> dict[str, list[int] | None]:
    beat: dict[str, list[int] | None] = {}
    for name, f in port.fields.items():
        val = getattr(dut, f.signal).value
        beat[name] = unpack_lanes(val.to_unsigned(), f) if val.is_resolvable else None
    return beat


def _compare(idx: int, got: dict, want: dict, atol: int, cycle: int) -> list[dict]:
    bad = []
    for name, lanes in want.items():
        g = got.get(name)
        if g is None:
            bad.append({"beat": idx, "field": name, "lane": None, "expected": lanes, "got": "X/Z", "cycle": cycle})
            continue
        for lane, (e, v) in enumerate(zip(lanes, g)):
            if abs(e - v) > atol:
                bad.append({"beat": idx, "field": name, "lane": lane, "expected": e, "got": v, "cycle": cycle})
    return bad


async def run_case(dut, plan: TestPlan, case: TestCase) -> dict:
    rng = random.Random(f"{plan.seed}:{case.name}")
    clk = getattr(dut, plan.clock)
    rst_n = getattr(dut, plan.reset_n)
    in_valid, in_ready = getattr(dut, plan.inp.valid), getattr(dut, plan.inp.ready)
    out_valid, out_ready = getattr(dut, plan.out.valid), getattr(dut, plan.out.ready)
    Clock(clk, 10, unit="ns").start()

    in_valid.value = 0
    out_ready.value = 0
    for f in plan.inp.fields.values():
        getattr(dut, f.signal).value = 0
    rst_n.value = 0
    for _ in range(4):
        await RisingEdge(clk)
    rst_n.value = 1

    n_in, n_out = len(case.inputs), len(case.expected)
    in_per_job, out_per_job = n_in // case.jobs, n_out // case.jobs
    in_idx = out_idx = 0
    in_cycles: list[int] = []
    out_cycles: list[int] = []
    mismatches: list[dict] = []
    extra_beats = 0
    valid_held = False
    cycle = 0
    trailing = 0
    timed_out = False
    violations: list[dict] = []
    pending: dict | None = None  # the output beat offered last cycle and not taken: it must be offered again, unchanged
    idle_words = {f.signal: (1 << (f.lanes * f.bits)) - 1 for f in plan.inp.fields.values()}
    burst_phase = rng.randrange(7)
    while True:
        await RisingEdge(clk)
        cycle += 1
        # drive this cycle's inputs; a raised valid stays raised until accepted
        if in_idx < n_in and (valid_held or rng.random() >= case.in_bubble_prob):
            for sig, word in pack(case.inputs[in_idx], plan.inp).items():
                getattr(dut, sig).value = word
            in_valid.value = 1
            valid_held = True
        else:
            in_valid.value = 0
            for sig, mask in idle_words.items():  # an idle bus carries junk: a design must not sample it
                getattr(dut, sig).value = rng.getrandbits(mask.bit_length()) & mask
        if out_idx >= n_out or case.sink == "random":
            ready_now = 1 if (out_idx >= n_out or rng.random() >= case.out_stall_prob) else 0
        elif case.sink == "after_valid":  # ready only once valid has been seen, a cycle late
            ready_now = 1 if pending is not None else 0
        else:  # bursts: 4 cycles ready, 3 not
            ready_now = 1 if (cycle + burst_phase) % 7 < 4 else 0
        out_ready.value = ready_now
        await ReadOnly()
        if valid_held and in_ready.value.is_resolvable and int(in_ready.value):
            in_cycles.append(cycle)
            in_idx += 1
            valid_held = False
        ov = out_valid.value
        offered = ov.is_resolvable and bool(int(ov))
        if pending is not None and len(violations) < MAX_REPORTED_MISMATCHES:
            # ready/valid: an offered beat stays offered, and unchanged, until the sink takes it
            if not offered:
                violations.append({"cycle": cycle, "port": plan.out.valid,
                                   "rule": "valid dropped before the beat was accepted"})
            elif _read_beat(dut, plan.out) != pending:
                violations.append({"cycle": cycle, "port": plan.out.valid,
                                   "rule": "data changed while valid and not yet accepted"})
        if not ov.is_resolvable and len(violations) < MAX_REPORTED_MISMATCHES:
            violations.append({"cycle": cycle, "port": plan.out.valid, "rule": f"valid is {ov} (not 0 or 1) after reset"})
        pending = _read_beat(dut, plan.out) if offered and not ready_now else None
        if ready_now and offered:
            got = _read_beat(dut, plan.out)
            if out_idx < n_out:
                if len(mismatches) < MAX_REPORTED_MISMATCHES:
                    mismatches.extend(_compare(out_idx, got, case.expected[out_idx], case.atol, cycle))
                out_cycles.append(cycle)
            else:
                extra_beats += 1
            out_idx += 1
        if out_idx >= n_out and in_idx >= n_in:
            trailing += 1
            if trailing > TRAILING_CYCLES:
                break
        if cycle >= case.timeout_cycles:
            timed_out = True
            break

    await RisingEdge(clk)
    in_valid.value = 0
    # per-job figures: first accepted input beat -> last output beat
    latencies = []
    for j in range(case.jobs):
        if (j + 1) * out_per_job <= len(out_cycles) and j * in_per_job < len(in_cycles):
            latencies.append(out_cycles[(j + 1) * out_per_job - 1] - in_cycles[j * in_per_job] + 1)
    span = (out_cycles[-1] - in_cycles[0] + 1) if out_cycles and in_cycles else None
    # a job off the spec's schedule, faster or slower, fails (only checked once every beat arrived)
    off_schedule = ([{"job": j, "cycles": lat} for j, lat in enumerate(latencies) if lat != case.latency_cycles]
                    if case.latency_cycles is not None else [])
    passed = (not mismatches and not timed_out and extra_beats == 0 and len(out_cycles) == n_out
              and not off_schedule and not violations)
    return {
        "case": case.name, "passed": passed, "tags": case.tags, "jobs": case.jobs,
        "expected_beats": n_out, "received_beats": min(out_idx, n_out), "extra_beats": extra_beats,
        "input_beats": n_in, "accepted_beats": in_idx,
        "timed_out": timed_out, "cycles": cycle, "span_cycles": span,
        "job_latency_cycles": latencies, "in_cycles_first": in_cycles[:1], "first_out_cycle": out_cycles[:1],
        "latency_expected": case.latency_cycles, "off_schedule": off_schedule[:MAX_REPORTED_MISMATCHES],
        "mismatches": mismatches[:MAX_REPORTED_MISMATCHES], "protocol_violations": violations,
    }


def _failure_line(r: dict) -> str:
    if r["timed_out"]:
        return (f"timeout after {r['cycles']} cycles: {r['received_beats']}/{r['expected_beats']} output beats, "
                f"{r['accepted_beats']}/{r['input_beats']} input beats accepted")
    if r["mismatches"]:
        m = r["mismatches"][0]
        return (f"{len(r['mismatches'])}+ mismatches; first at output beat {m['beat']} field {m['field']} "
                f"lane {m['lane']} cycle {m['cycle']}: expected {m['expected']}, got {m['got']}")
    if r.get("protocol_violations"):
        v = r["protocol_violations"][0]
        return f"ready/valid rule broken on {v['port']} at cycle {v['cycle']}: {v['rule']}"
    if r["extra_beats"]:
        return f"{r['extra_beats']} unexpected extra output beats"
    if r.get("off_schedule"):
        o = r["off_schedule"][0]
        return (f"job {o['job']} took {o['cycles']} cycles from first input beat to last output beat; the spec's "
                f"schedule is {r['latency_expected']} (no bubbles or stalls)")
    return f"received {r['received_beats']}/{r['expected_beats']} output beats"


# ACCELSMITH_FAIL_FAST=1 (mutation runs): after the first failing case the rest fail without simulating
_FAIL_FAST = os.environ.get("ACCELSMITH_FAIL_FAST") == "1"
_failed_once: list[str] = []


def _make_test(plan: TestPlan, case: TestCase, results_dir: Path):
    async def _test(dut) -> None:
        if _FAIL_FAST and _failed_once:
            (results_dir / f"{case.name}.json").write_text(json.dumps(
                {"case": case.name, "passed": False, "skipped_after": _failed_once[0], "mismatches": [],
                 "timed_out": False, "tags": case.tags}))
            raise AssertionError(f"case {case.name}: skipped after {_failed_once[0]} failed (fail fast)")
        result = await run_case(dut, plan, case)
        if not result["passed"]:
            _failed_once.append(case.name)
        (results_dir / f"{case.name}.json").write_text(json.dumps(result))
        if not result["passed"]:
            raise AssertionError(f"case {case.name}: {_failure_line(result)}")

    _test.__name__ = _test.__qualname__ = case.name
    return cocotb.test(name=case.name)(_test)


def _register_plan_tests() -> None:
    plan_path = os.environ.get("ACCELSMITH_PLAN")
    if not plan_path:
        return
    plan = TestPlan.load(Path(plan_path))
    results_dir = Path(os.environ.get("ACCELSMITH_RESULTS", "."))
    results_dir.mkdir(parents=True, exist_ok=True)
    only = set(filter(None, os.environ.get("ACCELSMITH_CASES", "").split(",")))
    for case in plan.cases:
        if only and case.name not in only:
            continue
        globals()[f"test_{case.name}"] = _make_test(plan, case, results_dir)


_register_plan_tests()
