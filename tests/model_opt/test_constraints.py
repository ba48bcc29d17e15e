"""Array sizing and BlockSpec emission from a profile."""

from __future__ import annotations

import math

import pytest

from accelsmith.model_opt import (BudgetError, DesignBudget, GemmOp, WorkloadProfile, choose_array,
                                  derive_constraints, extract_profile, gemm_cycles, specs_from_profile)
from accelsmith.model_opt import _constraints
from accelsmith.spec import BlockSpec, spec_from_dict


def _g(m, n, k, bits=8, count=1):
    return GemmOp(name=f"g{m}x{n}x{k}", op="linear", m=m, n=n, k=k, count=count, w_bits=bits, a_bits=bits)


def test_cycle_formula_matches_the_array_schedule():
    # 2 x 3 x 2 jobs of K tile 32 on 16x16: back to back every max(32, 16) cycles (4 accumulator banks), the first
    # one's latency (K + 2R + C - 2) paid once
    assert gemm_cycles(_g(20, 40, 64), rows=16, cols=16, k_tile=32) == (32 + 32 + 16 - 2) + 11 * 32
    # K tile 8 < R: the R result beats of a job bound the interval
    assert gemm_cycles(_g(16, 16, 8), rows=16, cols=16, k_tile=8) == (8 + 32 + 16 - 2)
    assert gemm_cycles(_g(32, 16, 8), rows=16, cols=16, k_tile=8) == (8 + 32 + 16 - 2) + 16


def test_shape_follows_workload():
    tall = choose_array([_g(512, 8, 64)], in_bits=8, pe_budget=256, buffer_bytes=1 << 20)
    wide = choose_array([_g(8, 512, 64)], in_bits=8, pe_budget=256, buffer_bytes=1 << 20)
    # 32x8 and 64x4 both tile 512x8 exactly; 32x8 has the shorter fill/drain (R + C - 2)
    assert (tall.rows, tall.cols) == (32, 8)
    assert (wide.rows, wide.cols) == (8, 32)
    assert tall.rows * tall.cols == 256
    macs = 512 * 8 * 64
    assert math.isclose(tall.utilisation, macs / (256 * tall.cycles), rel_tol=1e-12)
    assert 0 < tall.utilisation <= 1


def test_buffer_budget_limits_k_tile():
    big = choose_array([_g(64, 64, 4096)], 8, 1024, buffer_bytes=1 << 22)
    small = choose_array([_g(64, 64, 4096)], 8, 1024, buffer_bytes=8 * 1024)
    assert small.k_tile < big.k_tile and small.buffer_bytes <= 8 * 1024
    with pytest.raises(BudgetError, match=r"^buffer budget 16 bytes"):
        choose_array([_g(64, 64, 64)], 8, 1024, buffer_bytes=16)


def test_bits_groups_and_pending(tiny_qwen, monkeypatch):
    p = extract_profile(tiny_qwen, seq_len=16)
    gemms = [g.model_copy(update={"w_bits": 4, "a_bits": 4}) if g.op == "linear" else g for g in p.gemms]
    p4 = p.model_copy(update={"gemms": gemms, "act_bits": 8})
    c = derive_constraints(p4, DesignBudget(pe_budget=256))
    assert sorted(a.in_bits for a in c.arrays) == [4, 8]
    specs = c.to_block_specs()
    assert all(isinstance(s, BlockSpec) for s in specs)
    assert {s.in_bits for s in specs if s.kind == "gemm"} == {4, 8}
    assert all(s.rows * s.cols <= 256 for s in specs if s.kind == "gemm")
    softmax = [d for d in c.pending + c.blocks if d["kind"] == "softmax"]
    assert softmax[0]["length"] == 16
    norm = [s for s in specs if s.kind == "norm"]
    assert [(s.norm, s.hidden) for s in norm] == [("rmsnorm", 64)]
    assert [s.function for s in specs if s.kind == "activation"] == ["silu"]
    # one requantiser per array: accumulator width rounded up to a RequantSpec width, out = operand bits
    assert sorted((s.in_bits, s.out_bits) for s in specs if s.kind == "requant") == [
        (next(b for b in (16, 24, 32) if b >= a.acc_bits), a.in_bits) for a in sorted(c.arrays, key=lambda a: a.in_bits)]
    assert c.pending == []


def test_registered_kind_becomes_spec(tiny_qwen, monkeypatch):
    from typing import ClassVar

    from accelsmith.spec import BlockSpec as Base

    class FakeSoftmax(Base):
        kind: ClassVar[str] = "softmax"
        length: int = 8
        in_bits: int = 8

    monkeypatch.setattr(_constraints, "known_kinds", lambda: ["gemm", "softmax"])
    monkeypatch.setattr(_constraints, "spec_from_dict",
                        lambda d, source="": FakeSoftmax(**{k: v for k, v in d.items() if k != "kind"}))
    c = derive_constraints(extract_profile(tiny_qwen, seq_len=16))
    assert {"kind": "softmax", "name": "softmax_len16", "length": 16, "in_bits": 8} in c.blocks
    assert all(d["kind"] != "softmax" for d in c.pending)


def test_vector_blocks_take_one_beat_per_cycle(tiny_qwen):
    """Softmax and norm get the buffers (and division rate) to start a job every `beats` cycles."""
    specs = {s.kind: s for s in (spec_from_dict({k: v for k, v in b.items() if k != "name"})
                                 for b in derive_constraints(extract_profile(tiny_qwen, seq_len=16)).blocks)}
    sm, nm = specs["softmax"], specs["norm"]
    assert (sm.beats, sm.vectors_in_flight, sm.div_bits_per_cycle, sm.interval_cycles) == (4, 4, 4, 4)
    assert (nm.beats, nm.vectors_in_flight, nm.interval_cycles) == (16, 3, 16)  # rmsnorm over 64: 16 beats


def test_specs_from_profile(tiny_bert, tmp_path):
    path = extract_profile(tiny_bert, seq_len=32).to_json_file(tmp_path / "p.json")
    specs = specs_from_profile(path)
    gemm = [s for s in specs if s.kind == "gemm"]
    assert len(gemm) == 1 and gemm[0].in_bits == 8 and gemm[0].rows * gemm[0].cols == 1024


def test_profile_model_is_frozen():
    p = WorkloadProfile(model="m", model_type="x", seq_len=4, hidden_size=8, act_bits=8, gemms=[_g(4, 4, 4)])
    with pytest.raises(ValueError):
        p.seq_len = 5


def test_bert_vector_blocks_and_pending(tiny_bert):
    c = derive_constraints(extract_profile(tiny_bert, seq_len=32))
    kinds = {s.kind: s for s in c.to_block_specs()}
    assert kinds["norm"].norm == "layernorm" and kinds["norm"].hidden == 64
    assert sorted(s.function for s in c.to_block_specs() if s.kind == "activation") == ["gelu", "tanh"]
    assert kinds["softmax"].length == 32
    assert kinds["attention"].head_dim == 16 and kinds["attention"].seq_len == 32
    # the pooler's tanh is a table in the activation unit: nothing is left pending
    assert c.pending == []


def test_with_a_dram_budget_the_dataflow_search_chooses_shape_and_dataflow(monkeypatch):
    pytest.importorskip("zigzag")
    monkeypatch.setenv("ACCELSMITH_DATAFLOW_CACHE", "")
    profile = WorkloadProfile(model="tiny", model_type="bert", seq_len=64, hidden_size=64, act_bits=8,
                              gemms=[_g(64, 64, 64), _g(64, 16, 64, count=2)])
    c = derive_constraints(profile, DesignBudget(pe_budget=64, buffer_bytes=8192, dram_bytes_per_cycle=8))
    (arr,) = c.arrays
    assert arr.rows * arr.cols == 64 and min(arr.rows, arr.cols) >= 4
    s = arr.search
    assert s["engine"] == "zigzag" and s["sram_bytes"] == 8192 and s["dram_bytes_per_cycle"] == 8
    assert arr.dataflow in s["cycles_per_dataflow"] and s["cycles"] == min(s["cycles_per_dataflow"].values())
    assert s["stall_cycles"] >= 0 and s["dram_bytes"] > 0
    gemm = next(b for b in c.blocks if b["kind"] == "gemm")
    assert gemm["dataflow"] == arr.dataflow and (gemm["rows"], gemm["cols"]) == (arr.rows, arr.cols)
    assert any("dataflow search (ZigZag)" in n for n in c.notes)
    assert [sp.kind for sp in c.to_block_specs()][0] == "gemm"  # the chosen array is a valid GemmSpec


def test_weight_stationary_arrays_stream_the_gemms_rows_through_each_fold():
    # 128-row GEMMs: M = 128 makes one job per column tile and K tile; 1-row decode GEMMs alone keep M small
    assert _constraints.ws_job_rows([_g(128, 64, 64), _g(128, 16, 64, count=3)], 8, 8, 64) == 128
    assert _constraints.ws_job_rows([_g(1, 64, 64)], 8, 8, 64) == 8
    # a fold takes max(M, R, C - 1) beats: M = 1 on a 4x16 array costs as much as M = 15
    assert _constraints.ws_job_rows([_g(1, 64, 64), _g(15, 64, 64)], 4, 16, 64) == 15
    big = _constraints.ws_job_rows([_g(8192, 64, 64)], 8, 8, 64)  # as fast as M = 8, with 512x the weight reuse
    assert big == 4096
    assert spec_from_dict({"kind": "gemm", "rows": 8, "cols": 8, "k": 64, "m": big,
                           "dataflow": "weight_stationary"}).job_rows == 4096  # the largest M a GemmSpec takes


def test_attention_query_rows_meet_the_kv_bandwidth():
    from accelsmith.kinds.attention import AttentionSpec

    # MiniLM's heads (D 32, S 128) need 2 * 32 = 64 bytes of K/V per cycle for one key per cycle
    assert _constraints.attention_query_rows(32, 128, 64) == 1
    br = _constraints.attention_query_rows(32, 128, 16)
    spec = AttentionSpec(head_dim=32, seq_len=128, query_rows=br, max_kv_bytes_per_cycle=16)
    assert br == 16 and spec.key_cycles == 2 * 32 * 128 // 16  # still bandwidth-bound at the largest Br
    # at 62 bytes per cycle a pass's keys take ceil(8192 / 62) = 133 cycles: Br 8 covers them (8 + 128), Br 4 not
    br = _constraints.attention_query_rows(32, 128, 62)
    spec = AttentionSpec(head_dim=32, seq_len=128, query_rows=br, max_kv_bytes_per_cycle=62)
    half = AttentionSpec(head_dim=32, seq_len=128, query_rows=br // 2, max_kv_bytes_per_cycle=62)
    assert br == 8
    assert spec.key_cycles <= br + 128 and half.key_cycles > br // 2 + 128  # the smallest Br not bandwidth-bound


def test_dram_budget_reaches_weight_stationary_and_attention_specs(monkeypatch):
    """With a DRAM budget the blocks carry it: attention's K/V bandwidth and Br; a weight-stationary array its M."""
    monkeypatch.setattr(_constraints, "searched_array", lambda gs, bits, budget, *a: choose_array(
        gs, bits, budget.pe_budget, budget.buffer_bytes).model_copy(update={"dataflow": "weight_stationary"}))
    from accelsmith.model_opt import AttentionShape

    profile = WorkloadProfile(model="tiny", model_type="bert", seq_len=128, hidden_size=64, act_bits=8,
                              gemms=[_g(128, 64, 64), _g(128, 128, 32, count=2)],
                              attention=[AttentionShape(name="att", heads=2, kv_heads=2, head_dim=32, q_len=128,
                                                        kv_len=128)])
    c = derive_constraints(profile, DesignBudget(pe_budget=64, buffer_bytes=1 << 20, dram_bytes_per_cycle=16))
    specs = {s.kind: s for s in c.to_block_specs()}
    assert specs["gemm"].dataflow == "weight_stationary" and specs["gemm"].job_rows == 128
    att = specs["attention"]
    assert att.max_kv_bytes_per_cycle == 16 and att.query_rows == 16
