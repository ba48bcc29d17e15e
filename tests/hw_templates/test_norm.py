import math

import pytest
import torch

from accelsmith.errors import SpecError
from accelsmith.hw_templates.norm import NormSpec, norm_float_codes, norm_golden
from accelsmith.hw_templates.norm.model import rsqrt_fixed
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


def test_rmsnorm_with_beta_is_rejected():
    with pytest.raises(SpecError, match=r"rmsnorm has no beta; got beta=\[1\]"):
        spec_from_dict({"kind": "norm", "norm": "rmsnorm", "beta": [1]})


def test_unreachable_bound_is_rejected():
    with pytest.raises(SpecError, match=r"measured error \d+ LSB .* exceeds atol=0 LSB"):
        spec_from_dict({"kind": "norm", "max_abs_error": 0.02})


def test_lint_clean(lint_spec):
    assert lint_spec(NormSpec(**RMS)) == []


@pytest.mark.sim
@pytest.mark.parametrize("fields, sim", [(RMS, "icarus"), ({}, "verilator")])
def test_bench_passes_exact_and_within_bound(run_spec, fields, sim):
    spec = NormSpec(**fields)
    res = run_spec(spec, sim)
    assert res.passed, [c for c in res.cases if not c["passed"]][:1] or res.diagnostics
    perf = next(c for c in res.cases if c["case"] == "throughput")
    assert perf["span_cycles"] == perf["jobs"] * spec.job_cycles  # II=1 in and out, no idle cycle between phases


@pytest.mark.sim
def test_bench_catches_a_wrong_seed(run_spec):
    def corrupt(files):
        return {**files, "norm.v": files["norm.v"].replace("3'd2: seed = 18'd43691", "3'd2: seed = 18'd33691", 1)}

    res = run_spec(NormSpec(**RMS), edit=corrupt, cases=["corners"])
    assert not res.passed
