import itertools

import pytest
import torch

from accelsmith.kinds.gemm import GemmSpec, gemm_golden
from accelsmith.verification import derive


def _reference(a, b, spec):
    """Plain-Python accumulate, one MAC at a time, as the spec describes it."""
    lo, hi = ((-(1 << (spec.acc_bits - 1)), (1 << (spec.acc_bits - 1)) - 1) if spec.signed
              else (0, (1 << spec.acc_bits) - 1))
    R, K = a.shape
    C = b.shape[1]
    out = [[0] * C for _ in range(R)]
    for i, j in itertools.product(range(R), range(C)):
        acc = 0
        for t in range(K):
            acc += int(a[i, t]) * int(b[t, j])
            if spec.overflow == "saturate":
                acc = min(max(acc, lo), hi)
            else:
                acc = (acc - lo) % (1 << spec.acc_bits) + lo
        out[i][j] = acc
    return torch.tensor(out)


@pytest.mark.parametrize("overflow", ["wrap", "saturate"])
@pytest.mark.parametrize("signed", [True, False])
def test_golden_matches_mac_by_mac_reference(overflow, signed):
    spec = GemmSpec(rows=3, cols=4, k=9, in_bits=8, acc_bits=16, signed=signed, overflow=overflow)
    g = torch.Generator().manual_seed(0)
    lo, hi = (-128, 127) if signed else (0, 255)
    a = torch.randint(lo, hi + 1, (3, 9), generator=g)
    b = torch.randint(lo, hi + 1, (9, 4), generator=g)
    assert torch.equal(gemm_golden(a, b, spec), _reference(a, b, spec))


def test_saturate_order_matters_and_is_hardware_order():
    # three +max products clamp at the top, then a negative product pulls back from the clamp
    spec = GemmSpec(rows=1, cols=1, k=4, in_bits=8, acc_bits=16, overflow="saturate")
    a = torch.tensor([[127, 127, 127, -128]])
    b = torch.tensor([[127], [127], [127], [127]])
    exact = 127 * 127 * 3 - 128 * 127
    assert int(gemm_golden(a, b, spec)) == 32767 - 128 * 127
    assert exact != 32767 - 128 * 127


def test_plan_is_deterministic_and_seeded_from_spec():
    spec = GemmSpec(rows=4, cols=4, k=8)
    p1, p2 = derive(spec), derive(GemmSpec(rows=4, cols=4, k=8, name="renamed"))
    assert p1.model_dump_json() == p2.model_dump_json()
    assert p1.seed == spec.seed
    assert derive(GemmSpec(rows=4, cols=4, k=9)).plan_hash != p1.plan_hash


def test_plan_has_random_and_corner_cases_with_protocol_stress():
    plan = derive(GemmSpec(rows=4, cols=4, k=8))
    names = {c.name for c in plan.cases}
    assert {"random", "all_max", "all_min", "zeros", "alternating_signs", "throughput"} <= names
    assert any(c.in_bubble_prob > 0 and c.out_stall_prob > 0 for c in plan.cases)
    for c in plan.cases:
        assert len(c.inputs) == c.jobs * 8 and len(c.expected) == c.jobs * 4
        assert all(len(beat["a"]) == 4 and len(beat["b"]) == 4 for beat in c.inputs)


def test_overflow_case_only_when_reachable():
    small = derive(GemmSpec(rows=2, cols=2, k=4, acc_bits=16))
    assert small.coverage["accumulator_overflow"] is True
    assert "accumulator_overflow" in {c.name for c in small.cases}
    overflow_case = next(c for c in small.cases if c.name == "accumulator_overflow")
    wrapped = (4 * 127 * 127 + 32768) % 65536 - 32768  # 4 * hi * hi wrapped to int16
    assert overflow_case.jobs == 3  # all-max job, then two near-max random jobs
    assert all(v == wrapped for beat in overflow_case.expected[:2] for v in beat["data"])
    roomy = derive(GemmSpec(rows=2, cols=2, k=4, acc_bits=32))
    assert roomy.coverage["accumulator_overflow"] is False


def test_k1_coverage_flag():
    assert derive(GemmSpec(rows=2, cols=2, k=1)).coverage["k_equals_1"] is True
