"""Tiny random transformers built from configs: nothing is downloaded."""

from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def tiny_bert():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    cfg = BertConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                     vocab_size=100, max_position_embeddings=64)
    return BertModel(cfg).eval()


@pytest.fixture
def tiny_qwen():
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    cfg = Qwen2Config(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                      intermediate_size=128, vocab_size=100, max_position_embeddings=64)
    return Qwen2ForCausalLM(cfg).eval()


@pytest.fixture
def tiny_llava():
    from transformers import CLIPVisionConfig, LlavaConfig, LlavaForConditionalGeneration, Qwen2Config

    torch.manual_seed(0)
    tc = Qwen2Config(hidden_size=64, num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=2,
                     intermediate_size=128, vocab_size=120)
    vc = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                          image_size=32, patch_size=8)
    cfg = LlavaConfig(vision_config=vc, text_config=tc, image_token_index=110, vision_feature_layer=-1)
    return LlavaForConditionalGeneration(cfg).eval()


@pytest.fixture
def calib_ids():
    g = torch.Generator().manual_seed(1)
    return [torch.randint(5, 95, (2, 16), generator=g) for _ in range(2)]
