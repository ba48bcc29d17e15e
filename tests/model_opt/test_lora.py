"""LoRA recovery trains, merges back into plain Linears and lowers the loss."""

from __future__ import annotations

import pytest
import torch

from accelsmith.model_opt import compress_
from accelsmith.model_opt._lora import TEACHER_KEY, LoRAConfig
from accelsmith.model_opt._prune import PruneConfig

pytest.importorskip("peft")


def test_lora_lm_recovery_merges(tiny_qwen, calib_ids):
    compress_(tiny_qwen, PruneConfig(mlp_ratio=0.5, importance="magnitude"))
    report = compress_(tiny_qwen, LoRAConfig(rank=4, steps=20, lr=1e-2), calib=calib_ids)
    assert report["loss_last"] < report["loss_first"]
    assert type(tiny_qwen.model.layers[0].mlp.down_proj) is torch.nn.Linear  # merged, no adapter left
    assert tiny_qwen.model.layers[0].mlp.down_proj.in_features == 64


def test_lora_distill(tiny_bert, calib_ids):
    with torch.no_grad():
        batches = [{"input_ids": b, TEACHER_KEY: tiny_bert(b).last_hidden_state} for b in calib_ids]
    compress_(tiny_bert, PruneConfig(mlp_ratio=0.5, importance="magnitude"))
    report = compress_(tiny_bert, LoRAConfig(rank=4, steps=15, lr=1e-2, objective="distill"), calib=batches)
    assert report["loss_last"] < report["loss_first"]
