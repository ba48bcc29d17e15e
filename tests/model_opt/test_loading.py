"""Loading from folders and GGUF-free hub-style dirs; compressed save/reload roundtrip."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from accelsmith.model_opt import ModelLoadError, compress_, extract_profile
from accelsmith.model_opt._loading import load_compressed, load_model, save_compressed
from accelsmith.model_opt._prune import PruneConfig
from accelsmith.model_opt._quantize import MixedPrecisionConfig


def test_load_plain_folder(tiny_qwen, tiny_llava, tmp_path):
    tiny_qwen.save_pretrained(tmp_path / "q")
    m, _ = load_model(tmp_path / "q")
    assert type(m).__name__ == "Qwen2ForCausalLM"
    tiny_llava.save_pretrained(tmp_path / "l")
    m, _ = load_model(tmp_path / "l")
    assert type(m).__name__ == "LlavaForConditionalGeneration"


def test_missing_model_is_one_line(tmp_path):
    with pytest.raises(ModelLoadError, match=r"^cannot load model '.*nothing-here' offline: [^\n]*$"):
        load_model(tmp_path / "nothing-here")


def test_compressed_roundtrip(tiny_qwen, calib_ids, tmp_path):
    compress_(tiny_qwen, PruneConfig(mlp_ratio=0.25, head_ratio=0.5), calib=calib_ids)
    compress_(tiny_qwen, MixedPrecisionConfig(avg_bits=6, granularity="group"), calib=calib_ids)
    with torch.no_grad():
        ref = tiny_qwen(calib_ids[0]).logits
    out = save_compressed(tiny_qwen, tmp_path / "c")
    keys = set(load_file(str(out / "model.safetensors")))
    assert not any(k.endswith("proj.weight") for k in keys)  # projections are stored only as packed codes
    assert "model.layers.0.mlp.down_proj.qweight_0" in keys
    back, _ = load_compressed(out)
    with torch.no_grad():
        torch.testing.assert_close(back(calib_ids[0]).logits, ref)
    assert extract_profile(back, 16) == extract_profile(tiny_qwen, 16)
