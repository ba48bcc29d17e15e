"""The template-less kinds: specs validate, benches derive, and reference RTL passes while a broken one fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelsmith.errors import SpecError
from accelsmith.hw_templates import known_templates
from accelsmith.spec import spec_from_dict
from accelsmith.verification import derive, run_bench
from agents_designs import BROKEN_RTL, GOOD_RTL, SPEC

RTL = Path(__file__).parent / "rtl"
SPECS = {"dot": {"kind": "dot", "length": 4, "out_bits": 20}, "maxreduce": {"kind": "maxreduce", "lanes": 4},
         "fifo": {"kind": "fifo", "width": 8, "depth": 4}}


@pytest.mark.parametrize("kind", ["dot", "maxreduce", "clamp", "fifo"])
def test_kind_has_spec_and_deriver_but_no_template(kind):
    spec = spec_from_dict({"kind": kind})
    plan = derive(spec)
    assert kind not in known_templates()
    assert plan.kind == kind and len(plan.cases) >= 5 and derive(spec) == plan  # deterministic


def test_clamp_bounds_are_validated():
    with pytest.raises(SpecError, match=r"need -128 <= lo <= hi <= 127; got lo=5, hi=2"):
        spec_from_dict({"kind": "clamp", "lo": 5, "hi": 2})


@pytest.mark.sim
@pytest.mark.parametrize("kind", sorted(SPECS))
def test_reference_rtl_passes_the_derived_bench(kind, tmp_path):
    spec = spec_from_dict(SPECS[kind])
    res = run_bench([RTL / f"{kind}_top.v"], f"{kind}_top", derive(spec), tmp_path, sim="icarus", timeout_s=120)
    assert res.passed, res.summary()


@pytest.mark.sim
@pytest.mark.parametrize("rtl, passes", [(GOOD_RTL, True), (BROKEN_RTL, False)])
def test_clamp_bench_tells_good_from_broken(rtl, passes, tmp_path):
    (tmp_path / "clamp_top.v").write_text(rtl)
    res = run_bench([tmp_path / "clamp_top.v"], "clamp_top", derive(SPEC), tmp_path / "b", sim="icarus", timeout_s=120)
    assert res.passed is passes, res.summary()
