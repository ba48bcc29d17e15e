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
    # 16 passes of 8 rows over 128 keys of 2 x 32 bytes at 16 bytes/cycle: 512 key cycles each
    ({"head_dim": 32, "seq_len": 128, "kv_block": 16, "max_buffer_bytes": 8192, "max_kv_bytes_per_cycle": 16,
      "max_head_cycles": 8000, "query_rows": 8},
     r"one head takes 8\d{3} cycles \(16 passes of 8 query rows over 128 keys with K/V at 16 bytes/cycle\); "
     r"max_head_cycles=8000 cannot be met"),
])
def test_unmeetable_specs_are_rejected(fields, pattern):
    with pytest.raises(SpecError, match=pattern):
        spec_from_dict({"kind": "attention", **fields})


def test_lint_clean(lint_spec):
    assert lint_spec(AttentionSpec(**PARTIAL)) == []
    assert lint_spec(AttentionSpec(head_dim=1, kv_block=2, seq_len=1, exp_frac_bits=3, prob_bits=8,
                                   max_abs_error=40)) == []


def test_query_rows_divide_the_kv_traffic_and_the_head_cycles():
    one, tile = (AttentionSpec(head_dim=32, seq_len=128, kv_block=16, max_buffer_bytes=8192, query_rows=r)
                 for r in (1, 8))
    assert (one.kv_bytes_per_query, tile.kv_bytes_per_query) == (8192, 1024)  # 2 x 32 x 128 bytes per pass
    assert (one.passes, tile.passes) == (128, 16)
    # 128 passes of 129 cycles vs 16 of 136: the key stream, not the rows, sets a pass's interval
    assert one.head_cycles == one.job_latency_cycles + 127 * 129
    assert tile.head_cycles == tile.job_latency_cycles + 15 * 136
    slow = AttentionSpec(head_dim=32, seq_len=128, kv_block=16, max_buffer_bytes=8192, query_rows=8,
                         max_kv_bytes_per_cycle=16)
    assert slow.key_cycles == 512 and slow.head_cycles == slow.job_latency_cycles + 384 + 15 * 520
    # the scores of every row widen the banks: 2 x 16 x (256 + 8 x 21) bits
    assert tile.buffer_bytes == 2 * 16 * (256 + 8 * 21) // 8


@pytest.mark.sim
@pytest.mark.parametrize("fields, sim", [
    (PARTIAL, "icarus"), (dict(head_dim=4, kv_block=2, seq_len=7), "verilator"),
    (dict(head_dim=4, kv_block=2, seq_len=7, query_rows=3), "icarus"),           # partial last bank, 3 rows
    (dict(head_dim=8, kv_block=4, seq_len=16, query_rows=4), "verilator"),
])
def test_bench_passes_bit_exact(run_spec, fields, sim):
    spec = AttentionSpec(**fields)
    res = run_spec(spec, sim)
    assert res.passed, [c for c in res.cases if not c["passed"]][:1] or res.diagnostics
    perf = next(c for c in res.cases if c["case"] == "throughput")
    assert perf["expected_beats"] == perf["jobs"] * spec.query_rows
    # R q beats and one key per cycle, at most one bank-conflict stall per job, plus one drain (last bank, 8 divider
    # steps and the R output beats)
    assert perf["span_cycles"] <= perf["jobs"] * (spec.seq_len + spec.query_rows + 1) + spec.kv_block + 8 + \
        spec.query_rows + 1
    assert not perf["rate"]["too_slow"]


@pytest.mark.sim
def test_bench_catches_rows_out_of_order(run_spec):
    """Four query rows leave row 0 first: a block that drains them in another order fails."""
    def reversed_rows(files):
        old = "assign out_data = y_row[orow];"
        assert old in files["attention.v"]
        return {**files, "attention.v": files["attention.v"].replace(old, "assign out_data = y_row[~orow];", 1)}

    res = run_spec(AttentionSpec(head_dim=8, kv_block=4, seq_len=16, query_rows=4), edit=reversed_rows,
                   cases=["random"])
    assert not res.passed


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
