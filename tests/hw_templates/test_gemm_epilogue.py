"""The fused GEMM -> requant -> activation block: its golden model is the composition of the three kinds' models
(checked against plain integer arithmetic), its spec refuses stages that do not fit together, and the generated
top that chains the three templates passes the spec-derived bench while a chain missing a stage fails it."""

from fractions import Fraction

import pytest
import torch

from accelsmith import hw_templates
from accelsmith.errors import SpecError
from accelsmith.kinds.activation.model import table
from accelsmith.kinds.gemm_epilogue import GemmEpilogueSpec, gemm_epilogue_golden
from accelsmith.spec import spec_from_dict
from accelsmith.verification import derive, run_bench

PER_COL = {"gemm": {"rows": 3, "cols": 2, "k": 5, "acc_bits": 24},
           "requant": {"lanes": 2, "in_bits": 24, "multipliers": [1 << 26, 3 << 24], "shifts": [30, 31],
                       "rounding": "nearest", "zero_point": -2},
           "activation": {"lanes": 2, "function": "silu", "in_frac": 4, "out_frac": 4}}


def _round_shift(x: int, m: int, s: int, rounding: str) -> int:
    v = Fraction(x * m, 1 << s)
    fl = v.numerator // v.denominator
    frac = v - fl
    return fl + (frac > Fraction(1, 2) or (frac == Fraction(1, 2) and (rounding == "nearest" or fl % 2)))


def test_golden_is_the_three_stages_in_integer_arithmetic():
    spec = spec_from_dict({"kind": "gemm_epilogue", **PER_COL})
    g = torch.Generator().manual_seed(5)
    a, b = torch.randint(-128, 128, (2, 3, 5), generator=g), torch.randint(-128, 128, (2, 5, 2), generator=g)
    got = gemm_epilogue_golden(a, b, spec).tolist()
    act = table(spec.activation).tolist()
    for j in range(2):
        for r in range(3):
            for c in range(2):
                acc = sum(int(a[j, r, t]) * int(b[j, t, c]) for t in range(5))
                q = max(-128, min(127, _round_shift(acc, spec.requant.multipliers[c], spec.requant.shifts[c],
                                                    "nearest") - 2))
                assert got[j][r][c] == act[q + 128], (j, r, c)


@pytest.mark.parametrize("change, message", [
    ({"requant": {"lanes": 3, "in_bits": 24}}, r"requant must take one result row: lanes 2 and in_bits 24"),
    ({"activation": {"lanes": 2, "in_bits": 6, "in_frac": 3}}, r"activation must take a requantised row"),
    ({"gemm": {**PER_COL["gemm"], "signed": False}}, r"gemm.signed must be true"),
])
def test_stages_that_do_not_chain_are_refused_in_one_line(change, message):
    with pytest.raises(SpecError, match=message) as err:
        spec_from_dict({"kind": "gemm_epilogue", **{**PER_COL, **change}})
    assert "\n" not in str(err.value)


@pytest.mark.sim
def test_the_chained_templates_pass_and_a_chain_without_the_activation_fails(tmp_path):
    spec = spec_from_dict({"kind": "gemm_epilogue", **PER_COL})
    plan = derive(spec)
    assert spec.rate.first_job_cycles == spec.gemm.rate.first_job_cycles + 3  # requant 2 + activation 1 stages
    bundle = hw_templates.get(spec).render(spec)
    assert set(bundle.files) == {"gemm_os.v", "requant.v", "activation.v", f"{bundle.top}.v"}
    paths = bundle.write(tmp_path / "ok")
    res = run_bench(paths, bundle.top, plan, tmp_path / "ok_bench", sim="icarus")
    assert res.passed, [c["case"] for c in res.cases if not c["passed"]]
    # the same GEMM and requantiser without the activation: its outputs are the requantised codes, which SiLU
    # changes for every negative code, so the bench must fail it
    short = spec.model_copy(update={"activation": None})
    sb = hw_templates.get(short).render(short)
    res = run_bench(sb.write(tmp_path / "short"), sb.top, plan, tmp_path / "short_bench", sim="icarus")
    assert not res.passed
    assert any(m for c in res.cases for m in c.get("mismatches", []))
