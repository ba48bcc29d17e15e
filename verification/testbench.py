"""The one generic cocotb bench: executes any TestPlan (JSON) against a ready/valid streaming DUT.

Loaded by the simulator as the cocotb test module. ``ACCELSMITH_PLAN`` names the plan file and
``ACCELSMITH_RESULTS`` the folder that receives one JSON result per case; one cocotb test is
registered per plan case so the JUnit XML lists every case. Only data is read from the plan.
"""

from __future__ import annotations

import json
import math
import os
import random
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb.types import LogicArray

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


class _Sink:
    """Drives out_ready by the case's sink behaviour (ready once every expected beat has arrived)."""

    def __init__(self, case: TestCase, rng: random.Random):
        self.case, self.rng = case, rng
        self.phase = rng.randrange(7)
        self.left = 0       # long_stalls: cycles left in the current ready/low stretch
        self.ready = True

    def __call__(self, cycle: int, done: bool, pending: bool) -> int:
        c = self.case
        if done or c.sink == "ready":
            return 1
        if c.sink == "random":
            return 1 if self.rng.random() >= c.out_stall_prob else 0
        if c.sink == "after_valid":  # ready only once valid has been seen, a cycle late
            return 1 if pending else 0
        if c.sink == "bursts":  # 4 cycles ready, 3 not
            return 1 if (cycle + self.phase) % 7 < 4 else 0
        if self.left == 0:  # long_stalls: short ready windows between long stalls
            self.ready = not self.ready
            self.left = self.rng.randint(1, 3) if self.ready else self.rng.randint(20, 60)
        self.left -= 1
        return 1 if self.ready else 0


def _drive_idle(dut, plan: TestPlan, case: TestCase, rng: random.Random) -> None:
    """An idle input bus carries junk (random, or X): a design must not sample it."""
    for f in plan.inp.fields.values():
        width = f.lanes * f.bits
        getattr(dut, f.signal).value = LogicArray("X" * width) if case.idle_bus == "x" else rng.getrandbits(width)


async def _reset(dut, plan: TestPlan, clk, cycles: int = 4) -> None:
    getattr(dut, plan.inp.valid).value = 0
    getattr(dut, plan.out.ready).value = 0
    getattr(dut, plan.reset_n).value = 0
    for _ in range(cycles):
        await RisingEdge(clk)
    getattr(dut, plan.reset_n).value = 1


async def _pre_reset_phase(dut, plan: TestPlan, case: TestCase, rng: random.Random, clk) -> str | None:
    """Feed ``pre_reset_inputs`` (outputs taken by a random sink, unchecked), then reset in the middle of the work:
    ``reset_delay_cycles`` after the last pre-reset beat (no sink meanwhile, so an offer is waiting), or, with
    ``reset_after_output_beats``, the cycle after that many output beats were taken. Returns why it could not get
    there, or None."""
    in_valid, in_ready = getattr(dut, plan.inp.valid), getattr(dut, plan.inp.ready)
    out_valid, out_ready = getattr(dut, plan.out.valid), getattr(dut, plan.out.ready)
    pre, need = case.pre_reset_inputs, case.reset_after_output_beats
    idx, cycle, taken, wait = 0, 0, 0, 0 if need else case.reset_delay_cycles
    while (idx < len(pre) or wait > 0) if not need else taken < need:
        await RisingEdge(clk)
        cycle += 1
        if cycle > case.timeout_cycles:
            return (f"timeout before the mid-case reset: {idx}/{len(pre)} pre-reset input beats accepted and "
                    f"{taken} output beats taken in {cycle - 1} cycles")
        if idx < len(pre):
            for sig, word in pack(pre[idx], plan.inp).items():
                getattr(dut, sig).value = word
            in_valid.value = 1
        else:
            in_valid.value = 0
            _drive_idle(dut, plan, case, rng)
            wait -= 1
        # a random sink while feeding (or until the beats to drain were taken), then none: the reset finds beats
        # in flight and an offer waiting
        ready = 1 if (idx < len(pre) or need) and rng.random() < 0.5 else 0
        out_ready.value = ready
        await ReadOnly()
        if idx < len(pre) and in_ready.value.is_resolvable and int(in_ready.value):
            idx += 1
        if ready and out_valid.value.is_resolvable and int(out_valid.value):
            taken += 1
    await RisingEdge(clk)
    await _reset(dut, plan, clk, cycles=2)
    return None


async def run_case(dut, plan: TestPlan, case: TestCase) -> dict:
    rng = random.Random(f"{plan.seed}:{case.name}")
    clk = getattr(dut, plan.clock)
    in_valid, in_ready = getattr(dut, plan.inp.valid), getattr(dut, plan.inp.ready)
    out_valid, out_ready = getattr(dut, plan.out.valid), getattr(dut, plan.out.ready)
    Clock(clk, 10, unit="ns").start()

    for f in plan.inp.fields.values():
        getattr(dut, f.signal).value = 0
    await _reset(dut, plan, clk)
    pre_failure = await _pre_reset_phase(dut, plan, case, rng, clk) if case.pre_reset_inputs else None

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
    timed_out = pre_failure is not None
    violations: list[dict] = []
    pending: dict | None = None  # the output beat offered last cycle and not taken: it must be offered again, unchanged
    withheld = bytearray()       # per cycle: 1 when the bench held back an input beat or out_ready
    sink = _Sink(case, rng)
    input_offered = False
    gap_for, gap_left = -1, 0    # the job-last input beat the source idles before, and the idle cycles left
    while not timed_out:
        await RisingEdge(clk)
        cycle += 1
        if (case.source_gap_cycles and not valid_held and in_idx < n_in and gap_for != in_idx
                and in_idx % in_per_job == in_per_job - 1):
            gap_for = in_idx
            gap_left = (case.source_gap_cycles if (in_idx // in_per_job) % 2 == 0
                        else rng.randint(1, case.source_gap_cycles))
        # drive this cycle's inputs; a raised valid stays raised until accepted
        if gap_left and not valid_held:
            gap_left -= 1
            in_valid.value = 0
            _drive_idle(dut, plan, case, rng)
            held_back = True
        elif in_idx < n_in and (valid_held or rng.random() >= case.in_bubble_prob):
            for sig, word in pack(case.inputs[in_idx], plan.inp).items():
                getattr(dut, sig).value = word
            in_valid.value = 1
            valid_held = True
            held_back = False
        else:
            in_valid.value = 0
            _drive_idle(dut, plan, case, rng)
            held_back = in_idx < n_in
        ready_now = sink(cycle, out_idx >= n_out, pending is not None)
        out_ready.value = ready_now
        withheld.append(1 if held_back or not ready_now else 0)
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
        input_offered = input_offered or bool(valid_held or in_cycles)
        if offered and (not input_offered or (ready_now and not in_cycles)) and len(violations) < MAX_REPORTED_MISMATCHES:
            # a beat with no input that explains it (offered before any input was, or taken before any was taken)
            violations.append({"cycle": cycle, "port": plan.out.valid,
                               "rule": ("output offered before any input beat was offered" if not input_offered
                                        else "output taken before any input beat was accepted") +
                                       (" since the reset" if case.pre_reset_inputs else "")})
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
    job_ends = out_cycles[out_per_job - 1::out_per_job] if out_per_job else []
    span = (out_cycles[-1] - in_cycles[0] + 1) if out_cycles and in_cycles else None
    # a job off the spec's schedule, faster or slower, fails (only checked once every beat arrived)
    off_schedule = ([{"job": j, "cycles": lat} for j, lat in enumerate(latencies) if lat != case.latency_cycles]
                    if case.latency_cycles is not None else [])
    rate = None
    if case.rate_ii_cycles is not None and span is not None and len(out_cycles) == n_out and job_ends:
        # the spec's rate: each cycle the bench withheld an input beat or out_ready may cost the design one cycle
        if case.rate_first_job_cycles is None:  # steady state only: from the first job's last beat
            start, first = job_ends[0], 1
        else:
            start, first = in_cycles[0], case.rate_first_job_cycles
        measured = out_cycles[-1] - start + 1
        lost = sum(withheld[start - 1:out_cycles[-1]])  # cycles start..last (withheld[c - 1] is cycle c)
        allowed = first + math.ceil((case.jobs - 1) * case.rate_ii_cycles - 1e-9) + lost
        rate = {"span_cycles": measured, "allowed_cycles": allowed, "withheld_cycles": lost,
                "ii_cycles": case.rate_ii_cycles, "first_job_cycles": case.rate_first_job_cycles,
                "too_slow": measured > allowed}
    passed = (not mismatches and not timed_out and extra_beats == 0 and len(out_cycles) == n_out
              and not off_schedule and not violations and not (rate and rate["too_slow"]))
    return {
        "case": case.name, "passed": passed, "tags": case.tags, "jobs": case.jobs,
        "expected_beats": n_out, "received_beats": min(out_idx, n_out), "extra_beats": extra_beats,
        "input_beats": n_in, "accepted_beats": in_idx,
        "timed_out": timed_out, "cycles": cycle, "span_cycles": span, "pre_reset_failure": pre_failure,
        "job_latency_cycles": latencies, "in_cycles_first": in_cycles[:1], "first_out_cycle": out_cycles[:1],
        "job_end_cycles": job_ends[:64], "rate": rate,
        "latency_expected": case.latency_cycles, "off_schedule": off_schedule[:MAX_REPORTED_MISMATCHES],
        "mismatches": mismatches[:MAX_REPORTED_MISMATCHES], "protocol_violations": violations,
    }


def _failure_line(r: dict) -> str:
    if r.get("pre_reset_failure"):
        return r["pre_reset_failure"]
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
    rate = r.get("rate")
    if rate and rate["too_slow"]:
        frm = ("the first input beat" if rate["first_job_cycles"] is not None else "the first job's last output beat")
        return (f"too slow: {r['jobs']} jobs took {rate['span_cycles']} cycles from {frm} to the last output beat; "
                f"the spec allows {rate['allowed_cycles']} ({rate['first_job_cycles'] or 1} for the first job + "
                f"{r['jobs'] - 1} x II {rate['ii_cycles']:g} + {rate['withheld_cycles']} cycles the bench withheld "
                "input or out_ready)")
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
