"""The dataflow and tiling search runs the real ZigZag engine: a generous budget is stall-free, a tight one stalls
and moves more DRAM bytes, the search keeps the faster dataflow, and the command prints a profile's choice."""

import json

import pytest
from typer.testing import CliRunner

from accelsmith.cli import app
from accelsmith.model_opt._dataflow import Budget, evaluate, search_op, search_profile
from accelsmith.model_opt._errors import ModelOptError
from accelsmith.model_opt._profile import GemmOp, WorkloadProfile

pytest.importorskip("zigzag")

G = GemmOp(name="proj", op="linear", m=32, n=64, k=64, a_bits=8, w_bits=8)


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch):
    monkeypatch.setenv("ACCELSMITH_DATAFLOW_CACHE", "")


def test_a_generous_budget_is_stall_free_and_a_tight_one_stalls():
    roomy = evaluate(G, Budget(rows=8, cols=8, sram_bytes=1 << 24, dram_bytes_per_cycle=1024), "output_stationary")
    assert roomy.compute_cycles == 4 * 8 * 64 + 2 * 8 + 8 - 2  # ceil(32/8) x ceil(64/8) output tiles x K, + fill
    assert roomy.stall_cycles <= 0.25 * roomy.compute_cycles, roomy
    # every operand crosses the DRAM port once: A and B once in, C (32-bit) once out
    assert roomy.dram_bytes == 32 * 64 + 64 * 64 + 32 * 64 * 4
    tight = evaluate(G, Budget(rows=8, cols=8, sram_bytes=512, dram_bytes_per_cycle=1), "output_stationary")
    assert tight.stall_cycles > roomy.compute_cycles and tight.cycles > 2 * roomy.cycles
    assert tight.dram_bytes >= roomy.dram_bytes and tight.energy_pj > roomy.energy_pj
    assert set(tight.sram_split_bytes) == {"I", "W", "O"} and sum(tight.sram_split_bytes.values()) <= 512
    assert "C" in tight.loop_order and "|" in tight.loop_order


def test_the_search_keeps_the_faster_dataflow():
    budget = Budget(rows=8, cols=8, sram_bytes=4096, dram_bytes_per_cycle=8)
    best, tried = search_op(G, budget)
    assert set(tried) == {"output_stationary", "weight_stationary"}
    assert best.cycles == min(tried.values()) and tried[best.dataflow] == best.cycles


def test_an_unknown_dataflow_is_one_line():
    with pytest.raises(ModelOptError, match="unknown dataflow 'row_stationary'; known: output_stationary"):
        evaluate(G, Budget(rows=4, cols=4, sram_bytes=4096, dram_bytes_per_cycle=8), "row_stationary")


def test_a_profile_is_searched_once_per_shape_and_printed(tmp_path):
    profile = WorkloadProfile(model="tiny", model_type="bert", seq_len=32, hidden_size=64, act_bits=8, gemms=[
        G, G.model_copy(update={"name": "proj2"}),
        GemmOp(name="qk", op="attention_qk", m=32, n=32, k=16, count=4, a_bits=8, w_bits=8)])
    calls = []
    choice = search_profile(profile, Budget(rows=8, cols=8, sram_bytes=8192, dram_bytes_per_cycle=16),
                            progress=lambda i, n, name: calls.append(name))
    assert calls == ["proj", "qk"] and [o.name for o in choice.ops] == ["proj", "proj2", "qk"]
    assert choice.total("cycles") == sum(o.cycles for o in choice.ops) and choice.summary()["ops"] == 3
    path = profile.to_json_file(tmp_path / "profile.json")
    r = CliRunner().invoke(app, ["dataflow", str(path), "--sram-kb", "8", "--dram-bw", "16", "--array", "8x8",
                                 "--json", str(tmp_path / "choice.json")])
    assert r.exit_code == 0, r.output
    assert "tiny: 8x8 array, 8 KB SRAM, 16 B/cycle DRAM" in r.output and "total over 3 GEMMs" in r.output
    saved = json.loads((tmp_path / "choice.json").read_text())
    assert saved["summary"]["cycles"] == choice.total("cycles")
    bad = CliRunner().invoke(app, ["dataflow", str(path), "--array", "8by8"])
    assert bad.exit_code == 2 and "--array '8by8'" in bad.output


def test_attention_gemms_run_on_the_attention_block():
    """Q·Kᵀ carries the block's cost: K and V read once per pass of Br queries, q and y once, no scores in DRAM."""
    from accelsmith.kinds.attention import AttentionSpec
    from accelsmith.model_opt._dataflow import FUSED_ATTENTION, fused_attention

    qk = GemmOp(name="qk", op="attention_qk", m=128, n=128, k=32, count=12, a_bits=32, w_bits=32)
    av = GemmOp(name="av", op="attention_av", m=128, n=32, k=128, count=12, a_bits=32, w_bits=32)
    tight = Budget(rows=8, cols=8, sram_bytes=65536, dram_bytes_per_cycle=16)  # a pass wants 64 B/cycle
    o = fused_attention(qk, tight)
    spec = AttentionSpec(head_dim=32, seq_len=128, query_rows=16, max_kv_bytes_per_cycle=16)
    assert o.dataflow == FUSED_ATTENTION and "16 query rows" in o.loop_order
    assert o.dram_bytes == 12 * (8 * 2 * 32 * 128 + 2 * 128 * 32)  # 8 passes of K and V, then q in and y out
    assert o.cycles == 12 * spec.head_cycles and o.stall_cycles > 0
    roomy = fused_attention(qk, Budget(rows=8, cols=8, sram_bytes=65536, dram_bytes_per_cycle=64))
    assert roomy.stall_cycles == 0 and roomy.dram_bytes > o.dram_bytes  # Br 1: K and V once per query
    assert fused_attention(av, tight).cycles == 0  # inside the same passes
    profile = WorkloadProfile(model="tiny", model_type="bert", seq_len=128, hidden_size=384, act_bits=8,
                              gemms=[qk, av])
    choice = search_profile(profile, tight)
    assert [op.dataflow for op in choice.ops] == [FUSED_ATTENTION] * 2
    assert choice.summary()["dataflows"][FUSED_ATTENTION] == 2


def test_the_search_sees_the_arrays_operand_width():
    from accelsmith.model_opt._dataflow import array_operands

    fp = GemmOp(name="lm_head", op="linear", m=4, n=64, k=64, a_bits=32, w_bits=32)
    assert (array_operands(fp).a_bits, array_operands(fp).w_bits) == (8, 8)
    assert array_operands(fp.model_copy(update={"w_bits": 4, "a_bits": 4})).w_bits == 4
    assert array_operands(fp.model_copy(update={"w_bits": 3, "a_bits": 8})).a_bits == 8
