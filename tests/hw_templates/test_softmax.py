import pytest
import torch

from accelsmith.errors import SpecError
from accelsmith.kinds.softmax import SoftmaxSpec, softmax_float_codes, softmax_golden
from accelsmith.kinds.softmax.model import bound_check, exps
from accelsmith.spec import spec_from_dict

NARROW = dict(length=12, lanes=1, in_frac=3, max_abs_error=0.01)


def test_golden_within_stated_bound_on_a_fresh_sample():
    spec = SoftmaxSpec()
    g = torch.Generator().manual_seed(7)
    x = torch.cat([torch.randint(-128, 128, (3000, 16), generator=g),
                   127 - torch.randint(0, 40, (3000, 16), generator=g)])
    err = (softmax_golden(x, spec).double() - softmax_float_codes(x, spec)).abs().max().item()
    assert err <= spec.max_abs_error * 256 + 1e-9  # the stated bound in LSB, vectors the validator never saw


def test_validator_sample_meets_the_bench_tolerance():
    spec = SoftmaxSpec(**NARROW)
    assert bound_check(spec)[0] <= spec.atol  # integer LSB: |golden - round(float)| <= atol


def test_exp_terms_bracket_the_float_exponential():
    spec = SoftmaxSpec()
    x = torch.arange(-128, 128).view(16, 16)
    e = exps(x, spec).double() / (1 << spec.exp_bits)
    ref = torch.exp((x - x.max(dim=1, keepdim=True).values) / 16.0)
    assert (e - ref).abs().max().item() <= ref.max().item() * 2 ** -(spec.exp_table_bits + 1)  # index rounding


def test_unreachable_bound_is_rejected():
    with pytest.raises(SpecError, match=r"measured error \d+ LSB .* exceeds atol=0 LSB"):
        spec_from_dict({"kind": "softmax", "max_abs_error": 0.002})


def test_length_must_fill_whole_beats():
    with pytest.raises(SpecError, match=r"length=10 is not a multiple of lanes=4"):
        spec_from_dict({"kind": "softmax", "length": 10, "lanes": 4})


def test_lint_clean(lint_spec):
    assert lint_spec(SoftmaxSpec(**NARROW)) == []


@pytest.mark.sim
@pytest.mark.parametrize("fields, sim", [
    (NARROW, "icarus"), ({}, "verilator"),
    ({**NARROW, "vectors_in_flight": 4, "div_bits_per_cycle": 2}, "icarus"),   # 4 slots of 12 beats, 7 div cycles
    ({"vectors_in_flight": 4, "div_bits_per_cycle": 4}, "verilator"),           # 4 slots of 4 beats, 4 div cycles
    ({"vectors_in_flight": 2}, "icarus"),                                        # too few slots for full rate
])
def test_bench_passes_exact_and_within_bound(run_spec, fields, sim):
    spec = SoftmaxSpec(**fields)
    res = run_spec(spec, sim)
    assert res.passed, [c for c in res.cases if not c["passed"]][:1] or res.diagnostics
    perf = next(c for c in res.cases if c["case"] == "throughput")
    assert perf["job_latency_cycles"] == [spec.job_cycles] * perf["jobs"]  # II=1 in and out, no idle cycle
    if spec.vectors_in_flight == 1:
        assert perf["span_cycles"] == perf["jobs"] * spec.job_cycles  # one job at a time
    elif spec.interval_cycles == spec.beats:  # full rate: a job starts every `beats` cycles, one beat out per cycle
        assert perf["span_cycles"] == spec.job_cycles + (perf["jobs"] - 1) * spec.beats
    else:  # a slot is reused every job_cycles: jobs start in groups of vectors_in_flight
        n, k = perf["jobs"], spec.vectors_in_flight
        assert perf["span_cycles"] == (n - 1) // k * spec.job_cycles + (n - 1) % k * spec.beats + spec.job_cycles


@pytest.mark.sim
def test_bench_catches_a_block_that_does_not_overlap_jobs(run_spec):
    """A spec with 4 vectors in flight states its rate; the one-slot build of the same arithmetic is too slow."""
    spec = SoftmaxSpec(vectors_in_flight=4, div_bits_per_cycle=4)

    def one_slot(files):
        top = next(k for k in files if k.endswith("_top.v"))
        assert ".NS(4)" in files[top] and ".LP(2)" in files[top]
        return {**files, top: files[top].replace(".NS(4)", ".NS(1)")}  # LP stays 2: port 1 is left unused

    res = run_spec(spec, edit=one_slot, cases=["throughput"])
    assert not res.passed
    perf = res.cases[0]
    assert perf["rate"]["too_slow"] and not perf["off_schedule"]  # every job on time alone, the train too slow


@pytest.mark.sim
def test_bench_catches_an_off_by_one_table_entry(run_spec):
    spec = SoftmaxSpec(**NARROW)

    def corrupt(files):
        top = next(k for k in files if k.endswith("_top.v"))
        text = files[top].replace("6'h0: exp_table = ", "6'h0: exp_table = 1 + ", 1)
        assert text != files[top], "the table entry to corrupt was not found"
        return {**files, top: text}

    res = run_spec(spec, edit=corrupt, cases=["table_sensitive"])
    assert not res.passed


FRACTION_HEAVY = dict(length=8, lanes=2, in_bits=4, in_frac=10, exp_table_bits=2, max_abs_error=0.05)


def test_plan_stays_in_range_when_fraction_bits_exceed_the_logit_width():
    from accelsmith.verification import derive

    spec = SoftmaxSpec(**FRACTION_HEAVY)  # every distance shifts below the table: no table-sensitive vector
    plan = derive(spec)
    assert all(c.inputs for c in plan.cases)
    lanes = [v for c in plan.cases for b in c.inputs for v in b["data"]]
    assert -(1 << (spec.in_bits - 1)) <= min(lanes) and max(lanes) < 1 << (spec.in_bits - 1)


@pytest.mark.sim
@pytest.mark.parametrize("fields", [FRACTION_HEAVY, dict(out_bits=10, out_frac=8), dict(length=4, lanes=4)])
def test_bench_passes_on_the_width_corner_specs(run_spec, fields):
    # index/shift slices wider than d * LOG2E; no output clamp (out_bits > out_frac); one beat (sum = beat sum)
    res = run_spec(SoftmaxSpec(**fields))
    assert res.passed, [c for c in res.cases if not c["passed"]][:1] or res.diagnostics


@pytest.mark.sim
def test_bench_catches_an_exp_sum_one_high(run_spec):
    spec = SoftmaxSpec(**NARROW)

    def corrupt(files):
        old = "{{(SW-BW){1'b0}}, bsum} : esum"
        assert old in files["softmax.v"]
        return {**files, "softmax.v": files["softmax.v"].replace(old, "{{(SW-BW){1'b0}}, bsum} + 1'b1 : esum", 1)}

    res = run_spec(spec, edit=corrupt, cases=["divider_sensitive"])
    assert not res.passed
