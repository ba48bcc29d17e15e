"""Time limits for lint, build and simulation that grow with the design instead of fixed 60 s / 600 s.

A design's size is the spec's ``design_units`` (processing elements for a GEMM array, vector elements for the
vector blocks); a simulation's length is the plan's cycle budget (the sum of its cases' timeouts). Each limit
is a floor plus a generous multiple of what ``bench/scale.py`` measured on a 2-core machine, so a loaded
machine still finishes while a hung tool is still stopped. Every limit can be set by hand (CLI options
``--lint-timeout``, ``--build-timeout``, ``--sim-timeout``).
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsmith.verification._testplan import TestPlan

# Measured (bench/scale.py, docs/toolchain.md): Verilator lint ~11 ms and build ~35 ms per GEMM PE
# (32x32 array: 11 s lint, 37 s build); Icarus runs ~250 cycles/s on 64 PEs; the cocotb bench on Verilator
# runs ~70k cycles/s, bounded by Python, not by the design.
_LINT_S_PER_UNIT = 0.12
_BUILD_S_PER_UNIT = 0.5
_CYCLES_PER_S = {"verilator": 5_000.0, "icarus": 20_000.0}  # per-cycle rate divided by design units below


def seconds(x: float) -> str:
    """Seconds as a message shows them: whole above 10, one decimal below."""
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"


@dataclass(frozen=True)
class StageLimits:
    lint_s: float
    build_s: float
    sim_s: float


def plan_cycles(plan: TestPlan, cases: list[str] | None = None) -> int:
    """Upper bound on simulated cycles: every case stops at its timeout (plus reset)."""
    return sum(c.timeout_cycles + 8 for c in plan.cases if not cases or c.name in cases)


def sim_limit_s(sim: str, units: int, cycles: int) -> float:
    """Seconds for ``cycles`` on ``sim`` at ``units`` design size: 4x the measured rate, 60 s floor."""
    per_s = _CYCLES_PER_S.get(sim, 5_000.0)
    rate = per_s if sim == "verilator" else max(5.0, per_s / max(1, units))
    return 60.0 + 4.0 * cycles / rate


def limits_for(units: int, plan: TestPlan, sim: str, cases: list[str] | None = None) -> StageLimits:
    """The default limits for a design of ``units`` running ``plan`` on ``sim``."""
    units = max(1, int(units))
    return StageLimits(lint_s=60.0 + _LINT_S_PER_UNIT * units, build_s=120.0 + _BUILD_S_PER_UNIT * units,
                       sim_s=sim_limit_s(sim, units, plan_cycles(plan, cases)))


CROSS_CHECK_FULL_PLAN_S = 120.0  # a cross-check whose full plan would take longer runs ``TestPlan.reduced()``


def estimated_sim_s(sim: str, units: int, plan: TestPlan) -> float:
    """Rough seconds for ``plan`` on ``sim`` (cases finish near a quarter of their timeouts)."""
    per_s = _CYCLES_PER_S.get(sim, 5_000.0) * 4  # the limit rates above are 4x below the measured ones
    rate = per_s if sim == "verilator" else per_s / max(1, units)
    return plan_cycles(plan) / 4 / rate


def cross_check_plan(sim: str, units: int, plan: TestPlan) -> TestPlan:
    """The plan a cross-check simulator runs: the whole plan when it is affordable, else ``plan.reduced()``."""
    return plan.reduced() if estimated_sim_s(sim, units, plan) > CROSS_CHECK_FULL_PLAN_S else plan


# What one run can do here: a plan past this many test values (inputs and expected outputs) does not fit in
# memory on a 24 GiB machine, and builds or simulations past these seconds do not finish in a session.
MAX_PLAN_VALUES = 30_000_000
MAX_EFFORT_S = 3 * 3600.0


def effort(spec) -> dict:
    """Rough cost of verifying ``spec``, from its size alone (before a plan exists): test values, and lint,
    build and Verilator simulation seconds at the measured rates."""
    ports = spec.ports()
    lanes = sum(f["lanes"] for side in ("in", "out") for f in ports[side]["fields"].values())
    beats = max(1, spec.beats_per_job)
    jobs = 40 if beats > 2 else 500  # streaming blocks: many short jobs; long jobs: a few dozen
    units = max(1, spec.design_units)
    cycles = jobs * beats * 2
    return {"plan_values": jobs * beats * lanes, "lint_s": 0.011 * units, "build_s": 0.035 * units,
            "sim_s": cycles / (_CYCLES_PER_S["verilator"] * 14)}


def check_effort(spec, source: str = "") -> None:
    """Raise SpecError (one line) when ``spec`` is in range field by field but too large to verify here."""
    from accelsmith.errors import SpecError

    e = effort(spec)
    worst = max(e["lint_s"] + e["build_s"], e["sim_s"])
    if e["plan_values"] > MAX_PLAN_VALUES or worst > MAX_EFFORT_S:
        where = f"{source}: " if source else ""
        raise SpecError(f"{where}{spec.kind} {spec.size_label} needs about {e['plan_values']:,} test values and "
                        f"{worst / 60:,.0f} min of build or simulation; one run here handles {MAX_PLAN_VALUES:,} "
                        f"values and {MAX_EFFORT_S / 3600:.0f} h; make the spec smaller, or pass --allow-large to "
                        f"try anyway")
