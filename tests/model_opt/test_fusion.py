"""Operator fusion on captured graphs (torch.export of real transformers architectures, random weights): the chains
found, the bytes each saves checked against hand arithmetic, and the fused block the constraints hand the designer."""

from __future__ import annotations

import pytest
import torch

from accelsmith.model_opt._compress import compress_
from accelsmith.model_opt._constraints import derive_constraints
from accelsmith.model_opt._extract import extract_profile
from accelsmith.model_opt._fusion import Bits, capture, fusion_report, traffic_table, with_fusion
from accelsmith.model_opt._quantize import UniformQuantConfig
from accelsmith.spec import spec_from_dict

SEQ = 8


def _groups(model, seq=SEQ, bits=Bits()):
    groups, layers = fusion_report(capture(model, seq, bits))
    return {(g.pattern, tuple(g.ops)): g for g in groups}, layers


def _bert(attn: str):
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    return BertModel(BertConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                                vocab_size=100, max_position_embeddings=64, attn_implementation=attn)).eval()


def test_bert_ffn_epilogue_attention_and_residual_norm_with_their_bytes():
    """hidden 64, FFN 128, 4 heads, 8 tokens, int8 activations and weights, int32 accumulators; eager attention
    (its chain op by op)."""
    groups, layers = _groups(_bert("eager"))
    h, f, t = 64, 128, SEQ
    ffn = groups[("gemm_epilogue", ("gemm", "act:gelu"))]
    # op by op: the GEMM reads x, W, bias and writes int32 accumulators that a requantiser reads back and writes
    # as int8; GELU reads and writes int8. Fused: the accumulators and the GEMM's int8 output stay on chip.
    gemm = t * h + h * f + f + t * f * (4 + 4 + 1)
    assert ffn.bytes_unfused == gemm + 2 * t * f and ffn.count == 2
    assert ffn.bytes_fused == ffn.bytes_unfused - (t * f * 8 + t * f + t * f)
    att = groups[("attention", ("gemm", "eltwise:mul", "eltwise:add", "softmax", "gemm"))]
    assert att.count == 2  # one per layer: the S x S scores (4 x 8 x 8) never leave the chip
    assert att.bytes_unfused - att.bytes_fused >= 4 * t * t * (8 + 1 + 1 + 1 + 1 + 1)
    assert ("residual_norm", ("eltwise:add", "norm")) in groups
    per_layer = {x.layer: x for x in layers}
    assert per_layer["layer.0"].bytes_fused < per_layer["layer.0"].bytes_unfused
    assert per_layer["layer.0"] == per_layer["layer.1"].model_copy(update={"layer": "layer.0"})


def test_qwen_swiglu_joins_the_gate_epilogue_and_sdpa_is_captured_as_its_chain(tiny_qwen):
    groups, _ = _groups(tiny_qwen)
    gate = groups[("gemm_epilogue", ("gemm", "act:silu", "eltwise:mul"))]
    assert gate.count == 2 and gate.example.endswith("mlp.gate_proj")
    assert any(p == "attention" for p, _ in groups)
    sdpa = _bert("sdpa")
    g, _ = _groups(sdpa)  # captured op by op: the chain, not one SDPA call; the model keeps its setting
    assert g[("attention", ("gemm", "eltwise:mul", "eltwise:add", "softmax", "gemm"))].count == 2
    assert sdpa.config._attn_implementation == "sdpa"


def test_a_quantised_model_exports_its_packed_linears_as_gemms_and_the_constraints_fuse_them(tiny_bert, calib_ids):
    compress_(tiny_bert, UniformQuantConfig(w_bits=4, a_bits=8, group_size=32), calib=calib_ids)
    profile = with_fusion(extract_profile(tiny_bert, SEQ, name="tiny"), tiny_bert)
    kinds = {op for g in profile.fused for op in g.ops}
    assert not any(k.startswith("eltwise:round") or k.startswith("eltwise:clamp") for k in kinds)  # fake-quant inside
    assert sum(g.count for g in profile.fused if g.pattern == "gemm_epilogue") == 3  # 2 FFN GELU + the pooler's tanh
    assert "| all |" in traffic_table(profile)
    blocks = [b for b in derive_constraints(profile).blocks if b["kind"] == "gemm_epilogue"]
    assert {b["activation"]["function"] for b in blocks} == {"gelu", "tanh"}
    spec = spec_from_dict(blocks[0])
    assert spec.requant.lanes == spec.gemm.cols and spec.activation.in_bits == spec.gemm.in_bits


def test_a_model_that_does_not_export_is_one_line():
    from accelsmith.model_opt._errors import ModelOptError

    class Bad(torch.nn.Module):
        def forward(self, input_ids, attention_mask):
            if input_ids.sum() > 0:  # data-dependent control flow: export refuses it
                return input_ids * 2
            return input_ids

    with pytest.raises(ModelOptError, match=r"torch.export could not capture Bad: ") as err:
        capture(Bad(), 4)
    assert "\n" not in str(err.value)


def test_an_embedding_lookup_reads_the_rows_it_gathers_not_the_table():
    fg = capture(_bert("eager"), SEQ)
    lookups = [o for o in fg.ops if o.kind == "eltwise:embedding"]
    assert lookups and all(e <= o.out_elems for o in lookups for _, e, p in o.inputs if p)
    word = next(o for o in lookups if o.name.endswith("word_embeddings"))  # a 100 x 64 table
    assert fg.op_bytes(word) == 2 * SEQ * 64 + SEQ  # int8: 8 rows of 64 and 8 ids read, 8 rows written
