"""Workload extraction from tiny BERT, Qwen2 and LLaVA models."""

from __future__ import annotations

import re

import pytest

from accelsmith.model_opt import ModelOptError, extract_profile, load_profile


def test_bert_gemm_shapes(tiny_bert):
    p = extract_profile(tiny_bert, seq_len=32)
    by_name = {g.name: g for g in p.gemms}
    inter = by_name["encoder.layer.0.intermediate.dense"]
    assert (inter.m, inter.n, inter.k) == (32, 128, 64)
    qk = by_name["encoder.layer.0.attention.self.qk"]
    assert (qk.m, qk.n, qk.k, qk.count) == (32, 32, 16, 4)
    av = by_name["encoder.layer.0.attention.self.av"]
    assert (av.m, av.n, av.k) == (32, 16, 32)
    assert by_name["pooler.dense"].m == 1
    assert p.total_macs == sum(g.m * g.n * g.k * g.count for g in p.gemms)
    assert {v.op for v in p.vectors} == {"layernorm", "gelu", "softmax", "tanh"}
    assert all(g.w_bits == 32 for g in p.gemms)


def test_qwen_gqa_attention(tiny_qwen):
    p = extract_profile(tiny_qwen, seq_len=16)
    att = p.attention[0]
    assert (att.heads, att.kv_heads, att.head_dim, att.kv_len) == (4, 2, 16, 16)
    norms = [v for v in p.vectors if v.op == "rmsnorm"]
    assert norms and all(v.size == 64 for v in norms)
    silu = [v for v in p.vectors if v.op == "silu"]
    assert [v.size for v in silu] == [128, 128]
    assert p.gemms[-1].name == "lm_head" and p.gemms[-1].n == 100


def test_llava_towers(tiny_llava):
    p = extract_profile(tiny_llava, seq_len=40, image_tokens=16)
    towers = {g.tower for g in p.gemms}
    assert towers == {"text", "vision", "projector"}
    patch = next(g for g in p.gemms if g.op == "conv")
    assert (patch.m, patch.n, patch.k) == (16, 32, 3 * 8 * 8)
    vis_qk = next(g for g in p.gemms if g.tower == "vision" and g.op == "attention_qk")
    assert vis_qk.m == 17  # 16 patches + the class token
    proj = [g for g in p.gemms if g.tower == "projector"]
    assert all(g.m == 16 for g in proj)
    text_only = extract_profile(tiny_llava, seq_len=40, image_tokens=0)
    assert {g.tower for g in text_only.gemms} == {"text"}


def test_scalesim_csv_and_roundtrip(tiny_qwen, tmp_path):
    p = extract_profile(tiny_qwen, seq_len=16)
    csv = p.to_scalesim_csv().splitlines()
    assert csv[0] == "Layer, M, N, K,"
    assert all(re.fullmatch(r"[\w.]+, \d+, \d+, \d+,", line) for line in csv[1:])
    assert len(csv) - 1 == sum(g.count for g in p.gemms)
    path = p.to_json_file(tmp_path / "profile.json")
    assert load_profile(path) == p


def test_load_profile_errors(tmp_path):
    with pytest.raises(ModelOptError, match=r"^workload profile not found: '.*nope\.json'$"):
        load_profile(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"model": 1}')
    with pytest.raises(ModelOptError, match=r"is not a WorkloadProfile"):
        load_profile(bad)
