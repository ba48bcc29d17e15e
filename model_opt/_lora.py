"""LoRA recovery with peft: train low-rank adapters on calibration data, then merge them back."""

from __future__ import annotations

from typing import Any, Literal

import torch
from pydantic import Field
from torch import nn

from accelsmith.model_opt._compress import CompressConfig, register_handler
from accelsmith.model_opt._errors import ModelOptError

TEACHER_KEY = "_teacher_hidden"


class LoRAConfig(CompressConfig):
    """``objective='lm'`` trains next-token loss; ``'distill'`` matches teacher hidden states in the batches."""

    rank: int = Field(8, ge=1)
    alpha: int = Field(16, ge=1)
    steps: int = Field(30, ge=1)
    lr: float = Field(1e-3, gt=0)
    objective: Literal["lm", "distill"] = "lm"
    seed: int = 0


def _targets(model: nn.Module) -> list[str]:
    leaves = {n.rsplit(".", 1)[-1] for n, m in model.named_modules()
              if isinstance(m, nn.Linear) and not any(s in n for s in ("lm_head", "pooler", "classifier"))}
    return sorted(leaves)


def _loss(model: nn.Module, batch: dict[str, torch.Tensor], objective: str) -> torch.Tensor:
    inputs = {k: v for k, v in batch.items() if k != TEACHER_KEY}
    if objective == "lm":
        return model(**inputs, labels=inputs["input_ids"]).loss
    out = model(**inputs, output_hidden_states=True)
    hidden = out.hidden_states[-1]
    mask = inputs.get("attention_mask", torch.ones(hidden.shape[:2])).unsqueeze(-1).to(hidden.dtype)
    return (((hidden - batch[TEACHER_KEY]) ** 2) * mask).sum() / (mask.sum() * hidden.shape[-1])


@register_handler(LoRAConfig)
def _lora(model: nn.Module, cfg: LoRAConfig, batches) -> dict[str, Any]:
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError:
        raise ModelOptError("LoRAConfig needs the optional package peft (pip install peft==0.21.2)") from None
    if not batches:
        raise ModelOptError("LoRAConfig needs calibration data (calib=...)")
    if cfg.objective == "distill" and TEACHER_KEY not in batches[0]:
        raise ModelOptError(f"LoRAConfig(objective='distill') needs batches carrying {TEACHER_KEY!r}")
    if any(getattr(m, "is_packed_linear", False) for m in model.modules()):
        raise ModelOptError("LoRAConfig runs before quantisation: the model already holds packed layers")
    torch.manual_seed(cfg.seed)
    peft_model = get_peft_model(model, LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, target_modules=_targets(model),
                                                  lora_dropout=0.0))
    params = [p for p in peft_model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr)
    peft_model.train()
    losses = []
    for step in range(cfg.steps):
        loss = _loss(peft_model, batches[step % len(batches)], cfg.objective)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    peft_model.eval()
    merged = peft_model.merge_and_unload()
    if merged is not model:
        raise ModelOptError("peft returned a different model object; cannot merge in place")
    return {"trainable_params": sum(p.numel() for p in params), "loss_first": losses[0], "loss_last": losses[-1]}
