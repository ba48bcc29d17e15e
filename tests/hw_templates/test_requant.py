from fractions import Fraction

import pytest
import torch

from accelsmith.errors import SpecError
from accelsmith.kinds.requant import RequantSpec, requant_golden
from accelsmith.spec import spec_from_dict
from accelsmith.verification import derive

PER_CHANNEL = dict(lanes=4, multipliers=[3, 5, 7, 9, 11, 13, 1 << 20, 1], shifts=[1, 2, 3, 0, 4, 5, 22, 8],
                   out_bits=4, in_bits=16, zero_point=-3, rounding="nearest")


def _reference(x: int, m: int, s: int, rounding: str, zp: int, bits: int, sat: bool) -> int:
    """Exact rational arithmetic: the rule the RTL documents, written independently of the model."""
    v = Fraction(x * m, 1 << s)
    fl = v.numerator // v.denominator
    frac = v - fl
    if frac > Fraction(1, 2) or (frac == Fraction(1, 2) and (rounding == "nearest" or fl % 2)):
        fl += 1
    q = fl + zp
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if sat:
        return max(lo, min(hi, q))
    return (q - lo) % (1 << bits) + lo


@pytest.mark.parametrize("rounding", ["half_even", "nearest"])
@pytest.mark.parametrize("sat", [True, False])
def test_golden_matches_exact_rational_rounding(rounding, sat):
    spec = RequantSpec(lanes=2, multipliers=[3, 1 << 29], shifts=[2, 33], rounding=rounding, saturation=sat,
                       zero_point=1)
    xs = [[x, y] for x, y in zip(range(-40, 40), range(-(1 << 31), (1 << 31) - 1, (1 << 32) // 80))]
    got = requant_golden(torch.tensor(xs), spec).tolist()
    for row, out in zip(xs, got):
        for lane, (m, s) in enumerate(spec.lane_params()):
            assert out[lane] == _reference(row[lane], m, s, rounding, 1, 8, sat), (row, lane)  # bit exact


def test_ties_follow_the_rule():
    x = torch.tensor([[2, 6, -2, -6]])  # x*1/4 = 0.5, 1.5, -0.5, -1.5
    even = RequantSpec(lanes=4, multipliers=[1], shifts=[2], rounding="half_even")
    near = RequantSpec(lanes=4, multipliers=[1], shifts=[2], rounding="nearest")
    assert requant_golden(x, even).tolist() == [[0, 2, 0, -2]]
    assert requant_golden(x, near).tolist() == [[1, 2, 0, -1]]


@pytest.mark.parametrize("fields, pattern", [
    ({"multipliers": [1, 2], "shifts": [1]}, r"multipliers has 2 entries but shifts has 1"),
    ({"lanes": 4, "multipliers": [1] * 6, "shifts": [1] * 6}, r"6 channels do not fill whole beats of 4 lanes"),
    ({"multipliers": [1 << 31], "shifts": [1]}, r"multiplier 2147483648 out of range"),
    ({"shifts": [63]}, r"shift 63 out of range; allowed: 0\.\.62"),
    ({"out_bits": 4, "zero_point": 8}, r"zero_point=8 outside the int4 range \[-8, 7\]"),
    ({"out_bits": 16}, r"field 'out_bits': Input should be 4 or 8"),
])
def test_spec_errors(fields, pattern):
    with pytest.raises(SpecError, match=pattern):
        spec_from_dict({"kind": "requant", **fields})


def test_plan_covers_ties_when_reachable():
    plan = derive(RequantSpec(**PER_CHANNEL))
    assert plan.coverage["rounding_ties"] and "rounding_ties" in [c.name for c in plan.cases]
    assert all(c.atol == 0 for c in plan.cases)  # bit exact


def test_lint_clean(lint_spec):
    assert lint_spec(RequantSpec(**PER_CHANNEL)) == []


@pytest.mark.sim
@pytest.mark.parametrize("fields, sim", [
    (PER_CHANNEL, "icarus"),
    ({"lanes": 3, "saturation": False, "zero_point": 5, "multipliers": [12345], "shifts": [9]}, "icarus"),
    (PER_CHANNEL, "verilator"),
])
def test_bench_passes(run_spec, fields, sim):
    res = run_spec(RequantSpec(**fields), sim)
    assert res.passed, [c for c in res.cases if not c["passed"]][:1] or res.diagnostics
    perf = next(c for c in res.cases if c["case"] == "throughput")
    assert perf["span_cycles"] == perf["input_beats"] + 2  # II=1: one beat per cycle plus 2 pipeline stages


@pytest.mark.sim
def test_bench_catches_wrong_tie_rule(run_spec):
    flip = lambda files: {k: v.replace(".HALF_EVEN(0)", ".HALF_EVEN(1)") for k, v in files.items()}  # noqa: E731
    res = run_spec(RequantSpec(**PER_CHANNEL), "icarus", edit=flip, cases=["rounding_ties"])
    assert not res.passed and res.cases[0]["mismatches"]
