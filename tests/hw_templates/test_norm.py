import math

import pytest
import torch

from accelsmith.errors import SpecError
from accelsmith.kinds.norm import NormSpec, norm_float_codes, norm_golden
from accelsmith.kinds.norm.model import SEEDS, rsqrt_fixed
from accelsmith.spec import spec_from_dict

RMS = dict(norm="rmsnorm", hidden=12, lanes=3, gamma=[100, -50, 64, 20, 1, 127, -128, 64, 64, 64, 3, 90],
           out_frac=4, max_abs_error=0.1)


@pytest.mark.parametrize("fields", [{}, RMS])
def test_golden_within_stated_bound_on_a_fresh_sample(fields):
    spec = NormSpec(**fields)
    g = torch.Generator().manual_seed(11)
    H = spec.hidden
    x = torch.cat([torch.randint(-128, 128, (400, H), generator=g),
                   torch.randint(-128, 124, (400, 1), generator=g) + torch.randint(0, 5, (400, H), generator=g)])
    err = (norm_golden(x, spec).double() - norm_float_codes(x, spec)).abs().max().item()
    assert err <= spec.max_abs_error * (1 << spec.out_frac) + 1e-9  # the stated bound in LSB


def test_rsqrt_relative_error_over_every_octave():
    for v in [1, 2, 3, 5, 100, 4095, 4096, 12345, 2**20 + 7, 2**31 - 1]:
        y, k = rsqrt_fixed(v)
        assert abs(y / 2**16 / 2**k * math.sqrt(v) - 1) < 5e-4  # two Newton steps from a 6-entry seed (worst at m=1: 4.0e-4)


def test_newton_values_fit_the_rtl_widths():
    """norm.v sizes the Newton datapath from these bounds (R = 16), checked for every normalised m."""
    R = 16
    assert all(s < 2**R for s in SEEDS)  # the seed table is R bits wide
    for m in range(2**R, 2**(R + 2)):
        y = SEEDS[(m >> (R - 1)) - 2]
        for _ in range(2):
            assert 0 < y < 2**R  # y: R bits
            my2 = m * y * y
            assert my2 < 2**(3 * R + 1)  # my2: 3R+1 bits
            dh = 3 * 2**R - (my2 >> 2 * R)
            assert 0 < dh < 2**(R + 2)  # 3*2^R - h: R+2 bits, never negative
            assert y * dh < 2**(2 * R + 1)  # yn: 2R+1 bits
            y = (y * dh) >> (R + 1)
        assert 2**(R - 1) <= y < 2**R  # the result: y / 2^R in [1/2, 1) for m / 2^R in [1, 4)


def test_rmsnorm_with_beta_is_rejected():
    with pytest.raises(SpecError, match=r"rmsnorm has no beta; got beta=\[1\]"):
        spec_from_dict({"kind": "norm", "norm": "rmsnorm", "beta": [1]})


def test_unreachable_bound_is_rejected():
    with pytest.raises(SpecError, match=r"measured error \d+ LSB .* exceeds atol=0 LSB"):
        spec_from_dict({"kind": "norm", "max_abs_error": 0.02})


@pytest.mark.parametrize("fields", [RMS, dict(hidden=6, lanes=6, in_bits=16, in_frac=8, out_bits=6, out_frac=3,
                                                gamma_bits=16, gamma_frac=14, gamma=[-32768], max_abs_error=0.2)])
def test_lint_clean(lint_spec, fields):  # the second: one beat, H not a power of two, V wider than 32 bits
    assert lint_spec(NormSpec(**fields)) == []


@pytest.mark.sim
@pytest.mark.parametrize("fields, sim", [
    (RMS, "icarus"), ({}, "verilator"),
    ({"vectors_in_flight": 3}, "verilator"),        # 4 beats + 4 statistics cycles + 4 beats: full rate
    ({**RMS, "vectors_in_flight": 2}, "icarus"),    # too few slots for full rate
])
def test_bench_passes_exact_and_within_bound(run_spec, fields, sim):
    spec = NormSpec(**fields)
    res = run_spec(spec, sim)
    assert res.passed, [c for c in res.cases if not c["passed"]][:1] or res.diagnostics
    perf = next(c for c in res.cases if c["case"] == "throughput")
    assert perf["job_latency_cycles"] == [spec.job_cycles] * perf["jobs"]  # II=1 in and out, no idle cycle
    n, k = perf["jobs"], spec.vectors_in_flight
    if k == 1:
        assert perf["span_cycles"] == n * spec.job_cycles  # one job at a time
    elif spec.interval_cycles == spec.beats:  # full rate: one output beat per cycle after the first job's
        assert perf["span_cycles"] == spec.job_cycles + (n - 1) * spec.beats
    else:  # a slot is reused every job_cycles: jobs start in groups of vectors_in_flight
        assert perf["span_cycles"] == (n - 1) // k * spec.job_cycles + (n - 1) % k * spec.beats + spec.job_cycles


def test_overlap_needs_a_vector_as_long_as_the_statistics():
    with pytest.raises(SpecError, match=r"vectors_in_flight=2 needs at least 4 beats per vector"):
        spec_from_dict({"kind": "norm", "hidden": 6, "lanes": 2, "vectors_in_flight": 2})


@pytest.mark.sim
def test_bench_catches_a_wrong_seed(run_spec):
    def corrupt(files):
        assert "3'd2: seed = 16'd43691" in files["norm.v"]
        return {**files, "norm.v": files["norm.v"].replace("3'd2: seed = 16'd43691", "3'd2: seed = 16'd33691", 1)}

    res = run_spec(NormSpec(**RMS), edit=corrupt, cases=["corners"])
    assert not res.passed
