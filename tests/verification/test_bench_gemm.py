"""The generic bench passes the golden GEMM and fails deliberately broken ones."""

import json
import re
from pathlib import Path

import pytest

from accelsmith.kinds.gemm import GemmSpec
from accelsmith.hw_templates import RtlBundle, get
from accelsmith.verification import derive, run_bench

pytestmark = pytest.mark.sim


def _run(bundle: RtlBundle, spec: GemmSpec, tmp_path: Path, sim: str, cases=None):
    paths = bundle.write(tmp_path / "rtl")
    return run_bench(paths, bundle.top, derive(spec), tmp_path / f"bench_{sim}", sim=sim, timeout_s=240, cases=cases)


SHAPES = [
    GemmSpec(rows=4, cols=4, k=8),
    GemmSpec(rows=2, cols=3, k=1, in_bits=4, acc_bits=8),
    GemmSpec(rows=3, cols=2, k=5, in_bits=4, acc_bits=10, overflow="saturate"),
    GemmSpec(rows=4, cols=2, k=12, in_bits=8, signed=False, acc_bits=18, overflow="saturate"),
    GemmSpec(rows=2, cols=4, k=16, in_bits=8, acc_bits=20),
]


@pytest.mark.parametrize("spec", SHAPES, ids=lambda s: s.summary().replace(" ", "_"))
def test_golden_gemm_passes_on_icarus(spec, tmp_path):
    res = _run(get("gemm").render(spec), spec, tmp_path, "icarus")
    assert res.passed, res.summary() + str(res.failed_cases[:1])
    assert len(res.cases) == len(derive(spec).cases)
    assert res.junit and "testcase" in Path(res.junit).read_text()


@pytest.mark.parametrize("spec", [SHAPES[0], SHAPES[2]], ids=["4x4_int8", "3x2_int4_sat"])
def test_golden_gemm_passes_on_verilator(spec, tmp_path):
    res = _run(get("gemm").render(spec), spec, tmp_path, "verilator")
    assert res.passed, res.summary() + str(res.failed_cases[:1])


def _mutant(spec: GemmSpec, old: str, new: str, file: str = "gemm_os.v") -> RtlBundle:
    bundle = get("gemm").render(spec)
    text = bundle.files[file if file != "top" else f"{bundle.top}.v"]
    assert old in text, f"mutation anchor {old!r} not found"
    files = dict(bundle.files)
    files[file if file != "top" else f"{bundle.top}.v"] = text.replace(old, new)
    return RtlBundle(files=files, top=bundle.top)


# spec where the accumulator width is observable: 16 * 127 * 127 = 258064 exceeds the int18 range
ACC_SPEC = GemmSpec(rows=2, cols=2, k=16, acc_bits=18)
SQUARE = GemmSpec(rows=3, cols=3, k=6)

MUTANTS = {
    # accumulator one bit narrower than the spec: sign-extend from bit AW-2
    "wrong_accumulator_width": (ACC_SPEC, "wire [AW-1:0] nxt = (SAT && ovf) ? sat : sum[AW-1:0];",
                                "wire [AW-1:0] nxt = (SAT && ovf) ? sat : {sum[AW-2], sum[AW-2:0]};", "gemm_os.v"),
    # output ignores out_ready: rows advance whether or not the sink took them
    "dropped_backpressure": (SQUARE, "if (out_valid && out_ready) begin", "if (out_valid) begin", "gemm_os.v"),
    # A and B operand streams swapped at the top
    "swapped_operands": (SQUARE, ".in_a(in_a), .in_b(in_b)", ".in_a(in_b), .in_b(in_a)", "top"),
    # the job ends one beat early
    "short_reduction": (SQUARE, "wire          job_last  = (kcnt == K[KW-1:0] - 1'b1) || (K == 1);",
                        "wire          job_last  = (kcnt == K[KW-1:0] - 2'd2) || (K == 1);", "gemm_os.v"),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_bench_fails_broken_gemm(name, tmp_path):
    spec, old, new, file = MUTANTS[name]
    res = _run(_mutant(spec, old, new, file), spec, tmp_path, "icarus")
    assert res.built, res.diagnostics
    assert not res.passed, f"mutant {name} survived"
    assert res.failed_cases


def test_wrong_accumulator_width_is_caught_by_the_overflow_case(tmp_path):
    spec, old, new, file = MUTANTS["wrong_accumulator_width"]
    res = _run(_mutant(spec, old, new, file), spec, tmp_path, "icarus")
    failed = {c["case"] for c in res.failed_cases}
    assert "accumulator_overflow" in failed
    assert "zeros" not in failed


def test_hung_simulation_is_killed_with_a_diagnostic(tmp_path):
    spec = GemmSpec(rows=2, cols=2, k=4)
    plan = derive(spec)
    for c in plan.cases:  # make the bench wait far longer than the wall-clock limit allows
        c.timeout_cycles = 10**9
    bundle = _mutant(spec, "assign in_ready = !(job_start && bank_busy[in_bank]);", "assign in_ready = 1'b0;")
    paths = bundle.write(tmp_path / "rtl")
    res = run_bench(paths, bundle.top, plan, tmp_path / "bench", sim="icarus", timeout_s=6, size=spec.size_label)
    assert res.timed_out and not res.passed
    # the build finished, so the diagnostic blames the simulation and names the case left running
    assert res.built
    [diag] = [d for d in res.diagnostics if d.code == "SIM_TIMEOUT"]
    assert re.match(rf"^simulation of {bundle.top} \(2x2 = 4 PEs, K 4\) on icarus exceeded its 6.0 s limit after [67]\.\d s "
                    rf"and was killed, case {plan.cases[0].name!r} unfinished; what it wrote is kept in .*; "
                    r"raise the limit with --sim-timeout SECONDS$", diag.message), diag.message
    assert (tmp_path / "bench" / "sim.vvp").is_file()  # what the build produced is still there


def test_build_past_its_limit_names_the_stage_and_keeps_the_folder(tmp_path):
    spec = GemmSpec(rows=16, cols=16, k=8)
    bundle = get("gemm").render(spec)
    paths = bundle.write(tmp_path / "rtl")
    res = run_bench(paths, bundle.top, derive(spec), tmp_path / "bench", sim="verilator", build_timeout_s=1.0,
                    units=spec.design_units, size=spec.size_label, use_cache=False)
    assert res.timed_out and not res.built and not res.passed
    [diag] = [d for d in res.diagnostics if d.code == "BUILD_TIMEOUT"]
    assert re.match(rf"^build of {bundle.top} \(16x16 = 256 PEs, K 8\) on verilator exceeded its 1.0 s limit after "
                    r"[12]\.\d s and was killed; what it wrote is kept in .*; raise the limit with --build-timeout SECONDS$",
                    diag.message), diag.message
    assert (tmp_path / "bench" / "job.json").is_file() and (tmp_path / "bench" / "child_build.log").is_file()


def test_build_error_becomes_diagnostics(tmp_path):
    spec = GemmSpec(rows=2, cols=2, k=4)
    bundle = _mutant(spec, "reg  [BW-1:0] in_bank;", "reg  [BW-1:0] in_bank")
    res = _run(bundle, spec, tmp_path, "icarus")
    assert not res.built and not res.passed
    assert any(d.severity == "error" and d.file == "gemm_os.v" for d in res.diagnostics)


def test_latency_budget_fails_a_job_one_cycle_late(tmp_path):
    """One more skew register on every row of A: each row meets its weights and partial sums one cycle later, so
    the results are right and every job is one cycle late."""
    spec = GemmSpec(rows=2, cols=2, k=3, dataflow="weight_stationary")
    late = _mutant(spec, "reg  [IW+TW-1:0] sr [0:r];", "reg  [IW+TW-1:0] sr [0:r+1];", "gemm_ws.v")
    late = RtlBundle(files={k: v.replace("d <= r;", "d <= r + 1;").replace("left_in[r] = sr[r];", "left_in[r] = sr[r+1];")
                            for k, v in late.files.items()}, top=late.top)
    assert "d <= r + 1;" in late.files["gemm_ws.v"] and "sr[r+1];" in late.files["gemm_ws.v"]
    on_time = _run(get("gemm").render(spec), spec, tmp_path / "ok", "icarus", cases=["latency_budget", "random"])
    assert on_time.passed, on_time.summary()
    res = _run(late, spec, tmp_path / "late", "icarus", cases=["latency_budget", "random"])
    by_case = {c["case"]: c for c in res.cases}
    assert by_case["random"]["passed"] and not by_case["latency_budget"]["passed"]
    assert by_case["latency_budget"]["timed_out"] and not by_case["latency_budget"]["mismatches"]


def test_a_job_one_cycle_early_fails_the_schedule_with_right_data(tmp_path):
    """Output-stationary: taking 'job done' from the next-to-last row drains one cycle early; the drain still
    reads every row after it is final, so only the schedule (exact latency) tells the design from its spec."""
    spec = GemmSpec(rows=3, cols=2, k=4)
    early = _mutant(spec, "if (i == ROWS - 1 && j == COLS - 1) begin : g_corner",
                    "if (i == ROWS - 2 && j == COLS - 1) begin : g_corner", "gemm_os.v")
    res = _run(early, spec, tmp_path / "early", "icarus", cases=["latency_budget", "random"])
    by_case = {c["case"]: c for c in res.cases}
    assert by_case["random"]["passed"], by_case["random"]
    lb = by_case["latency_budget"]
    assert not lb["passed"] and not lb["mismatches"] and not lb["timed_out"]
    assert lb["off_schedule"] == [{"job": 0, "cycles": lb["latency_expected"] - 1}]


@pytest.mark.sim
def test_an_unchanged_design_is_not_rebuilt_and_a_changed_one_is(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCELSMITH_BUILD_CACHE", str(tmp_path / "cache"))
    spec = GemmSpec(rows=2, cols=2, k=4)
    bundle = get("gemm").render(spec)
    first = _run(bundle, spec, tmp_path / "a", "verilator")
    again = _run(bundle, spec, tmp_path / "b", "verilator")
    assert first.passed and not first.build_cached
    assert again.passed and again.build_cached and again.build_s < 1.0
    edited = RtlBundle(files={**bundle.files, bundle.top + ".v": bundle.files[bundle.top + ".v"] + "\n// edited\n"},
                       top=bundle.top)
    assert not _run(edited, spec, tmp_path / "c", "verilator").build_cached


def test_limits_grow_with_the_design():
    from accelsmith.verification._limits import limits_for

    small, big = GemmSpec(rows=4, cols=4, k=384, acc_bits=28), GemmSpec(rows=32, cols=32, k=384, acc_bits=28)
    a, b = (limits_for(s.design_units, derive(s), "icarus") for s in (small, big))
    assert a.lint_s < b.lint_s and a.build_s < b.build_s and a.sim_s < b.sim_s
    assert a.lint_s >= 60 and b.build_s == 120 + 0.5 * 1024


@pytest.mark.sim
def test_a_killed_run_leaves_no_simulator_running(tmp_path):
    """SIGKILL the process that runs a bench: its simulator dies with it (no process outlives its run)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    spec = GemmSpec(rows=2, cols=2, k=4)
    bundle = _mutant(spec, "assign in_ready = !(job_start && bank_busy[in_bank]);", "assign in_ready = 1'b0;")
    bundle.write(tmp_path / "rtl")
    script = (
        "import sys; from pathlib import Path\n"
        "from accelsmith.kinds.gemm import GemmSpec\n"
        "from accelsmith.verification import derive, run_bench\n"
        "plan = derive(GemmSpec(rows=2, cols=2, k=4))\n"
        "for c in plan.cases: c.timeout_cycles = 10**9\n"
        f"run_bench(sorted(Path({str(tmp_path / 'rtl')!r}).glob('*.v')), {bundle.top!r}, plan, "
        f"Path({str(tmp_path / 'bench')!r}), sim='icarus', timeout_s=600)\n")
    runner = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 60
    sim_log = tmp_path / "bench" / "sim.log"
    while time.time() < deadline and not (sim_log.exists() and "running" in sim_log.read_text(errors="replace")):
        time.sleep(0.5)
    assert sim_log.exists(), "the simulation never started"
    assert _processes_under(tmp_path), "no simulator process was found running"
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    for _ in range(40):  # bwrap's --die-with-parent, then the PID namespace takes everything inside
        left = _processes_under(tmp_path)
        if not left:
            break
        time.sleep(0.25)
    else:
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        pytest.fail(f"processes outlived the killed run: {left}")


def _processes_under(folder) -> list[int]:
    """Processes whose command line or working folder lies in ``folder``."""
    import os

    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmd = open(f"/proc/{entry}/cmdline", "rb").read().decode(errors="replace")
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if str(folder) in cmd or cwd.startswith(str(folder)):
            found.append(int(entry))
    return found


def test_the_build_cache_key_names_the_install(tmp_path, monkeypatch):
    """A Verilator build links this venv's cocotb libraries by path: another checkout must not reuse it."""
    import sys

    from accelsmith.verification import DEFAULT_BUILD
    from accelsmith.verification._build import build_key

    src = tmp_path / "m.v"
    src.write_text("module m; endmodule\n")
    key = lambda: build_key("verilator", [str(src)], "m", waves=False, options=DEFAULT_BUILD, build_args=[],  # noqa: E731
                            versions={})
    here = key()
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "other-venv"))
    assert key() != here
