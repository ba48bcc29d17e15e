"""Structural pruning removes channels and heads; dead ones go first."""

from __future__ import annotations

import pytest
import torch

from accelsmith.model_opt import compress_, extract_profile
from accelsmith.model_opt._errors import CompressionFailed
from accelsmith.model_opt._prune import PruneConfig
from accelsmith.model_opt._quantize import UniformQuantConfig


def test_dead_mlp_channels_prune_losslessly(tiny_qwen, calib_ids):
    for layer in tiny_qwen.model.layers:
        layer.mlp.down_proj.weight.data[:, 96:] = 0  # channels 96..127 contribute nothing
    with torch.no_grad():
        ref = tiny_qwen(calib_ids[0]).logits
    report = compress_(tiny_qwen, PruneConfig(mlp_ratio=0.25, importance="magnitude"))
    mlp = tiny_qwen.model.layers[0].mlp
    assert mlp.gate_proj.weight.shape == (96, 64) and mlp.down_proj.weight.shape == (64, 96)
    assert tiny_qwen.config.intermediate_size == 96
    assert report["params_after"] == report["params_before"] - 2 * 3 * 32 * 64
    with torch.no_grad():
        out = tiny_qwen(calib_ids[0]).logits
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


def test_dead_kv_group_prunes_losslessly(tiny_qwen, calib_ids):
    for layer in tiny_qwen.model.layers:
        layer.self_attn.o_proj.weight.data[:, :32] = 0  # heads 0,1 = KV group 0 are dead
    with torch.no_grad():
        ref = tiny_qwen(calib_ids[0]).logits
    compress_(tiny_qwen, PruneConfig(head_ratio=0.5), calib=calib_ids)
    attn = tiny_qwen.model.layers[1].self_attn
    assert attn.q_proj.out_features == 32 and attn.k_proj.out_features == 16
    assert (tiny_qwen.config.num_attention_heads, tiny_qwen.config.num_key_value_heads) == (2, 1)
    with torch.no_grad():
        out = tiny_qwen(calib_ids[0]).logits
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    p = extract_profile(tiny_qwen, seq_len=16)
    assert (p.attention[0].heads, p.attention[0].kv_heads, p.attention[0].head_dim) == (2, 1, 16)
    assert {(d.dim, d.original, d.kept) for d in p.pruned} == {("attention_heads", 4, 2)}


def test_bert_heads_and_channels(tiny_bert, calib_ids):
    compress_(tiny_bert, PruneConfig(mlp_ratio=0.3, head_ratio=0.5), calib=calib_ids)
    layer = tiny_bert.encoder.layer[0]
    assert layer.attention.self.num_attention_heads == 2 and layer.attention.self.query.out_features == 32
    assert layer.intermediate.dense.out_features == 88  # int(128 * 0.7) rounded down to a multiple of 8
    with torch.no_grad():
        out = tiny_bert(calib_ids[0]).last_hidden_state
    assert out.shape == (2, 16, 64) and torch.isfinite(out).all()


def test_prune_after_quantise_is_refused(tiny_qwen):
    compress_(tiny_qwen, UniformQuantConfig(w_bits=8))
    with pytest.raises(CompressionFailed, match=r"not nn\.Linear: prune before quantising$"):
        compress_(tiny_qwen, PruneConfig(mlp_ratio=0.5, importance="magnitude"))
