"""Structural pruning that removes MLP channels and attention heads (tensors and config shrink)."""

from __future__ import annotations

from typing import Any, Literal

import torch
from pydantic import Field
from torch import nn

from accelsmith.model_opt._compress import CompressConfig, register_handler, run_batches
from accelsmith.model_opt._errors import CompressionFailed, ModelOptError
from accelsmith.model_opt._extract import head_dim_of, tower_of
from accelsmith.model_opt._state import opt_state


class PruneConfig(CompressConfig):
    """Drop the least important ``mlp_ratio`` of MLP channels and ``head_ratio`` of (KV-group) heads per layer."""

    mlp_ratio: float = Field(0.0, ge=0.0, lt=1.0)
    head_ratio: float = Field(0.0, ge=0.0, lt=1.0)
    importance: Literal["activation", "magnitude"] = "activation"
    multiple_of: int = Field(8, ge=1, description="kept MLP channels rounded down to this (array tiles)")


def find_mlps(model: nn.Module) -> list[tuple[str, list[str], str]]:
    """(block, expanding Linears, contracting Linear) for LLaMA/Qwen, CLIP/ViT-fc and BERT MLPs."""
    out = []
    for name, mod in model.named_modules():
        pre = f"{name}." if name else ""
        if all(hasattr(mod, a) for a in ("gate_proj", "up_proj", "down_proj")):
            out.append((name, [pre + "gate_proj", pre + "up_proj"], pre + "down_proj"))
        elif hasattr(mod, "fc1") and hasattr(mod, "fc2"):
            out.append((name, [pre + "fc1"], pre + "fc2"))
        elif hasattr(getattr(mod, "intermediate", None), "dense") and hasattr(getattr(mod, "output", None), "dense"):
            out.append((name, [pre + "intermediate.dense"], pre + "output.dense"))
    return out


def find_attention(model: nn.Module) -> list[tuple[str, list[str], str]]:
    """(attention module, [q, k, v] Linears, output Linear)."""
    out = []
    for name, mod in model.named_modules():
        pre = f"{name}." if name else ""
        if all(hasattr(mod, a) for a in ("q_proj", "k_proj", "v_proj")):
            o = "o_proj" if hasattr(mod, "o_proj") else "out_proj"
            out.append((name, [pre + "q_proj", pre + "k_proj", pre + "v_proj"], pre + o))
        elif hasattr(getattr(mod, "self", None), "query") and hasattr(getattr(mod, "output", None), "dense"):
            out.append((pre + "self", [pre + "self.query", pre + "self.key", pre + "self.value"], pre + "output.dense"))
    return out


@torch.no_grad()
def input_norms(model: nn.Module, names: list[str], batches) -> dict[str, torch.Tensor]:
    """Mean |x| per input feature of each named Linear over the calibration batches."""
    acc: dict[str, torch.Tensor] = {}

    def hook(n):
        def fn(_m, args):
            x = args[0].detach().abs().reshape(-1, args[0].shape[-1]).float().mean(0)
            acc[n] = acc.get(n, 0) + x
        return fn

    handles = [model.get_submodule(n).register_forward_pre_hook(hook(n)) for n in names]
    try:
        run_batches(model, batches)
    finally:
        for h in handles:
            h.remove()
    return acc


def _slice_linear(lin: nn.Linear, rows: torch.Tensor | None = None, cols: torch.Tensor | None = None) -> nn.Linear:
    w = lin.weight.detach()
    w = w[rows] if rows is not None else w
    w = w[:, cols] if cols is not None else w
    new = nn.Linear(w.shape[1], w.shape[0], bias=lin.bias is not None, dtype=w.dtype, device=w.device)
    new.weight.data.copy_(w)
    if lin.bias is not None:
        new.bias.data.copy_(lin.bias.detach()[rows] if rows is not None else lin.bias.detach())
    return new


def _set(model: nn.Module, name: str, new: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, new)


def _linear(model: nn.Module, name: str) -> nn.Linear:
    mod = model.get_submodule(name)
    if not isinstance(mod, nn.Linear):
        raise CompressionFailed(f"{name!r} is {type(mod).__name__}, not nn.Linear: prune before quantising")
    return mod


def _prune_mlps(model, cfg: PruneConfig, norms) -> list[dict[str, Any]]:
    records = []
    for block, expand, contract in find_mlps(model):
        down = _linear(model, contract)
        width = down.in_features
        keep_n = max(cfg.multiple_of, int(width * (1 - cfg.mlp_ratio)) // cfg.multiple_of * cfg.multiple_of)
        if keep_n >= width:
            continue
        score = down.weight.detach().float().norm(dim=0)
        if cfg.importance == "activation" and contract in norms:
            score = score * norms[contract]
        else:
            score = score * sum(_linear(model, e).weight.detach().float().norm(dim=1) for e in expand)
        keep = torch.sort(torch.topk(score, keep_n).indices).values
        for e in expand:
            _set(model, e, _slice_linear(_linear(model, e), rows=keep))
        _set(model, contract, _slice_linear(down, cols=keep))
        records.append({"name": block, "dim": "mlp_channels", "original": width, "kept": keep_n})
    return records


def _prune_heads(model, cfg: PruneConfig, norms) -> list[dict[str, Any]]:
    records = []
    for attn_name, (q, k, v), o in find_attention(model):
        attn = model.get_submodule(attn_name)
        hd = head_dim_of(attn)
        heads, kv = _linear(model, q).out_features // hd, _linear(model, k).out_features // hd
        rep = heads // kv
        kv_keep = max(1, round(kv * (1 - cfg.head_ratio)))
        if kv_keep >= kv:
            continue
        w_o = _linear(model, o).weight.detach().float()
        per_head = w_o.reshape(w_o.shape[0], heads, hd).norm(dim=(0, 2))
        if cfg.importance == "activation" and o in norms:
            per_head = per_head * norms[o].reshape(heads, hd).mean(-1)
        groups = torch.sort(torch.topk(per_head.reshape(kv, rep).sum(-1), kv_keep).indices).values
        q_rows = torch.cat([torch.arange(hd) + (g * rep + r) * hd for g in groups.tolist() for r in range(rep)])
        kv_rows = torch.cat([torch.arange(hd) + g * hd for g in groups.tolist()])
        _set(model, q, _slice_linear(_linear(model, q), rows=q_rows))
        _set(model, k, _slice_linear(_linear(model, k), rows=kv_rows))
        _set(model, v, _slice_linear(_linear(model, v), rows=kv_rows))
        _set(model, o, _slice_linear(_linear(model, o), cols=q_rows))
        attrs = {"num_attention_heads": kv_keep * rep, "all_head_size": kv_keep * rep * hd,
                 "num_heads": kv_keep * rep, "num_key_value_heads": kv_keep}
        for a, val in attrs.items():
            if isinstance(getattr(attn, a, None), int):
                setattr(attn, a, val)
                opt_state(model).setdefault("attrs", {}).setdefault(attn_name, {})[a] = val
        records.append({"name": attn_name, "dim": "attention_heads", "original": heads, "kept": kv_keep * rep})
    return records


def _update_configs(model: nn.Module, records: list[dict[str, Any]]) -> None:
    """Write the new widths into the (sub-)configs when every layer of a tower agrees."""
    cfg = getattr(model, "config", None)
    if cfg is None:
        return
    for tower in ("text", "vision"):
        sub = getattr(cfg, f"{tower}_config", None) or (cfg if tower == "text" else None)
        mine = [r for r in records if tower_of(r["name"]) == tower]
        if sub is None or not mine:
            continue
        mlp = {r["kept"] for r in mine if r["dim"] == "mlp_channels"}
        if len(mlp) == 1 and hasattr(sub, "intermediate_size"):
            sub.intermediate_size = mlp.pop()
        heads = {r["kept"] for r in mine if r["dim"] == "attention_heads"}
        if len(heads) == 1 and hasattr(sub, "num_key_value_heads") and hasattr(sub, "num_attention_heads"):
            n = heads.pop()
            sub.head_dim = getattr(sub, "head_dim", None) or sub.hidden_size // sub.num_attention_heads
            sub.num_key_value_heads = n * sub.num_key_value_heads // sub.num_attention_heads
            sub.num_attention_heads = n


@register_handler(PruneConfig)
def _prune(model: nn.Module, cfg: PruneConfig, batches) -> dict[str, Any]:
    if cfg.importance == "activation" and not batches:
        raise ModelOptError("PruneConfig(importance='activation') needs calibration data (calib=...)")
    outs = [c for _, _, c in find_mlps(model)] + [o for _, _, o in find_attention(model)]
    norms = input_norms(model, outs, batches) if cfg.importance == "activation" else {}
    before = sum(p.numel() for p in model.parameters())
    records = (_prune_mlps(model, cfg, norms) if cfg.mlp_ratio else []) + \
              (_prune_heads(model, cfg, norms) if cfg.head_ratio else [])
    _update_configs(model, records)
    opt_state(model)["pruned"].extend(records)
    after = sum(p.numel() for p in model.parameters())
    return {"params_before": before, "params_after": after, "pruned": records}
