import pytest
import torch

from accelsmith.errors import SpecError
from accelsmith.kinds.activation import ActivationSpec, activation_float_codes, activation_golden
from accelsmith.spec import spec_from_dict

SILU = dict(function="silu", in_bits=6, in_frac=3, out_bits=8, out_frac=4)


@pytest.mark.parametrize("fn", ["gelu", "silu", "tanh"])
def test_table_within_stated_bound_of_float(fn):
    spec = ActivationSpec(function=fn)
    x = torch.arange(-128, 128)
    err = (activation_golden(x, spec) - activation_float_codes(x, spec)).abs().max().item()
    assert err <= spec.max_error_lsb + 1e-12  # the stated bound, every input code


def test_unreachable_bound_is_rejected():
    # Q2.5 output clamps gelu(3.97)=3.97 to 3.97 max code... out_bits=6 Q1.5 clamps at 0.97: error >> 0.5 LSB
    with pytest.raises(SpecError, match=r"table's error vs float gelu is [\d.]+ LSB .*cannot be met"):
        spec_from_dict({"kind": "activation", "out_bits": 6, "out_frac": 5})


def test_lint_clean(lint_spec):
    assert lint_spec(ActivationSpec(**SILU)) == []


@pytest.mark.sim
@pytest.mark.parametrize("fields, sim", [(SILU, "icarus"), ({"function": "gelu", "lanes": 2}, "verilator")])
def test_bench_passes_within_bound(run_spec, fields, sim):
    res = run_spec(ActivationSpec(**fields), sim)
    assert res.passed, [c for c in res.cases if not c["passed"]][:1] or res.diagnostics
    perf = next(c for c in res.cases if c["case"] == "throughput")
    assert perf["span_cycles"] == perf["input_beats"] + 1  # II=1 plus one register stage


@pytest.mark.sim
def test_bench_catches_an_off_by_one_table_entry(run_spec):
    spec = ActivationSpec(**SILU)

    def corrupt(files):
        top = next(k for k in files if k.endswith("_top.v"))
        text = files[top].replace("6'h8: act_table = 8'h", "6'h8: act_table = 8'h1", 1)
        assert text != files[top], "the table entry to corrupt was not found"
        return {**files, top: text}

    res = run_spec(spec, edit=corrupt, cases=["exhaustive_sweep"])
    assert not res.passed
