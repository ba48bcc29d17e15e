import pytest
import torch

from accelsmith.errors import SpecError
from accelsmith.kinds.attention import AttentionSpec, attention_float, attention_golden
from accelsmith.kinds.attention.model import exp2q, sample_inputs
from accelsmith.spec import spec_from_dict

PARTIAL = dict(seq_len=10, kv_block=4)  # last block of each job holds 2 keys


@pytest.mark.parametrize("fields", [PARTIAL, dict(head_dim=16, kv_block=8, seq_len=64, q_scale=0.03, k_scale=0.01)])
def test_golden_within_stated_bound_of_float_attention(fields):
    spec = AttentionSpec(**fields)
    q, k, v = sample_inputs(spec, 3000, seed=7)
    err = (attention_golden(q, k, v, spec) - attention_float(q, k, v, spec)).abs().max().item()
    assert err <= spec.max_abs_error  # |y - softmax(qK^T s)V| in V codes, 3000 dense random jobs


def test_golden_within_bound_when_the_max_grows_late():
    spec = AttentionSpec(**PARTIAL)
    ramp = torch.linspace(-128, 127, spec.seq_len).round().to(torch.int64)
    k = ramp[None, :, None].expand(500, -1, spec.head_dim)
    g = torch.Generator().manual_seed(3)
    v = torch.randint(-128, 128, (500, spec.seq_len, spec.head_dim), generator=g)
    q = torch.randint(0, 128, (500, spec.head_dim), generator=g)
    err = (attention_golden(q, k, v, spec) - attention_float(q, k, v, spec)).abs().max().item()
    assert err <= spec.max_abs_error  # every block rescales o and l; same bound


def test_exp2q_is_monotone_and_starts_at_one():
    spec = AttentionSpec()
    p = exp2q(torch.arange(0, 1 << 17), spec)
    assert p[0].item() == 1 << spec.prob_bits  # exp(0) exactly
    assert bool((p[1:] <= p[:-1]).all()) and p[-1].item() == 0


def test_buffer_is_fixed_by_kv_block_not_seq_len():
    short, long = AttentionSpec(seq_len=8), AttentionSpec(seq_len=4096, kv_block=64, max_buffer_bytes=1 << 16)
    assert AttentionSpec(seq_len=500).buffer_bytes == short.buffer_bytes == 83  # 2 banks x 4 x (64 + 19) bits
    assert long.buffer_bytes == 1328  # 2 banks x 64 x (64 + 19) bits


@pytest.mark.parametrize("fields, pattern", [
    ({"kv_block": 6}, r"kv_block=6 must be a power of two"),
    ({"kv_block": 64, "head_dim": 64}, r"buffer_bytes=\d+ .* exceeds max_buffer_bytes=4096"),
    ({"exp_frac_bits": 2, "max_abs_error": 0.5}, r"sampled error vs float attention is [\d.]+ codes; .*cannot be met"),
    ({"seq_len": 4096, "kv_block": 2}, r"allows 2047 rescales; prob_bits=15 supports fewer than 128"),
])
def test_unmeetable_specs_are_rejected(fields, pattern):
    with pytest.raises(SpecError, match=pattern):
        spec_from_dict({"kind": "attention", **fields})


def test_lint_clean(lint_spec):
    assert lint_spec(AttentionSpec(**PARTIAL)) == []
    assert lint_spec(AttentionSpec(head_dim=1, kv_block=2, seq_len=1, exp_frac_bits=3, prob_bits=8,
                                   max_abs_error=40)) == []


@pytest.mark.sim
@pytest.mark.parametrize("fields, sim", [(PARTIAL, "icarus"), (dict(head_dim=4, kv_block=2, seq_len=7), "verilator")])
def test_bench_passes_bit_exact(run_spec, fields, sim):
    spec = AttentionSpec(**fields)
    res = run_spec(spec, sim)
    assert res.passed, [c for c in res.cases if not c["passed"]][:1] or res.diagnostics
    perf = next(c for c in res.cases if c["case"] == "throughput")
    # one key per cycle, at most one bank-conflict stall per job, plus one drain (last bank + 9 divider cycles)
    assert perf["span_cycles"] <= perf["jobs"] * (spec.seq_len + 2) + spec.kv_block + 10


@pytest.mark.sim
def test_bench_catches_a_missing_rescale(run_spec):
    def no_rescale(files):  # o keeps its old scale when the max grows: wrong whenever a later block wins
        return {**files, "attention.v": files["attention.v"].replace(": o_scaled[PB +: OW])", ": o_g)", 1)}

    res = run_spec(AttentionSpec(**PARTIAL), edit=no_rescale, cases=["max_grows_late"])
    assert not res.passed


@pytest.mark.parametrize("fields", [PARTIAL, dict(head_dim=4, kv_block=2, seq_len=7)])
def test_rounding_case_sits_on_rounding_boundaries(fields):
    from accelsmith.kinds.attention.model import attention_accumulators
    from accelsmith.verification.plans.attention import below_half_job, half_job

    spec = AttentionSpec(**fields)
    g = torch.Generator().manual_seed(spec.seed)
    q, k, v = below_half_job(spec, g)
    o, l = attention_accumulators(q, k, v, spec)
    r = (2 * o.abs() + l[:, None]) % (2 * l[:, None])
    assert l.item() % 2 == 1 and bool((r[0, :min(spec.head_dim, 16)] == 2 * l - 1).all())  # one step below a half
    q, k, v = half_job(spec, g)
    o, l = attention_accumulators(q, k, v, spec)
    assert attention_golden(q, k, v, spec)[0, 0].item() == -128  # o / l = -127.5 exactly (odd seq_len: p = 0 last)
    assert bool(((2 * o.abs() + l[:, None]) % (2 * l[:, None]) == 0).all())  # every lane an exact half
