"""Quantisation sensitivity per channel group, layer and block, measured on calibration inputs.

For layer W with calibration inputs X, the sensitivity of b-bit weights is the relative output error
    ||X (Q_b(W) - W)^T||^2 / ||X W^T||^2
i.e. a trace of the layer Hessian X^T X weighted by the quantisation perturbation (HAWQ-V3's Omega,
with the local layer loss in place of the global one), summed per output-channel group.
"""

from __future__ import annotations

import re

import torch
from torch import nn

from accelsmith.model_opt._compress import run_batches
from accelsmith.model_opt._pack import dequantise_groups, quantise_groups

_BLOCK = re.compile(r"^(.*?\.(?:layers?|h|blocks?)\.\d+)\.")


def block_of(name: str) -> str:
    m = _BLOCK.match(name)
    return m.group(1) if m else name


def quantisable_linears(model: nn.Module, skip: tuple[str, ...]) -> dict[str, nn.Linear]:
    return {n: m for n, m in model.named_modules()
            if isinstance(m, nn.Linear) and not any(s in n for s in skip)}


@torch.no_grad()
def collect_inputs(model: nn.Module, layers: dict[str, nn.Linear], batches, max_rows: int) -> dict[str, torch.Tensor]:
    """Up to ``max_rows`` input rows per layer (evenly strided so every batch contributes)."""
    seen: dict[str, list[torch.Tensor]] = {n: [] for n in layers}

    def hook(name):
        def fn(_mod, args):
            x = args[0].detach().reshape(-1, args[0].shape[-1]).float()
            step = max(1, x.shape[0] * len(batches) // max_rows)
            seen[name].append(x[::step].cpu())
        return fn

    handles = [m.register_forward_pre_hook(hook(n)) for n, m in layers.items()]
    try:
        run_batches(model, batches)
    finally:
        for h in handles:
            h.remove()
    return {n: torch.cat(xs)[:max_rows] for n, xs in seen.items() if xs}


@torch.no_grad()
def layer_sensitivity(lin: nn.Linear, x: torch.Tensor, bits: tuple[int, ...], group_size: int,
                      groups: int) -> dict[int, list[float]]:
    """Relative output error per output-channel group for each candidate width."""
    w = lin.weight.detach().float().cpu()
    ref = x @ w.T
    energy = float((ref ** 2).sum()) or 1.0
    out = {}
    bounds = group_bounds(w.shape[0], groups)
    for b in bits:
        q, s = quantise_groups(w, b, group_size)
        err_rows = ((x @ (dequantise_groups(q, s) - w).T) ** 2).sum(0)
        out[b] = [float(err_rows[a:e].sum()) / energy for a, e in bounds]
    return out


def group_bounds(rows: int, groups: int) -> list[tuple[int, int]]:
    groups = max(1, min(groups, rows))
    edges = [round(i * rows / groups) for i in range(groups + 1)]
    return [(edges[i], edges[i + 1]) for i in range(groups) if edges[i + 1] > edges[i]]


def measure_sensitivity(model: nn.Module, batches, bits: tuple[int, ...], group_size: int, groups: int,
                        skip: tuple[str, ...], max_rows: int = 256) -> dict[str, dict[int, list[float]]]:
    """``{layer: {bits: [relative error per channel group]}}`` for every quantisable Linear."""
    layers = quantisable_linears(model, skip)
    xs = collect_inputs(model, layers, batches, max_rows)
    return {n: layer_sensitivity(layers[n], xs[n], bits, group_size, groups) for n in layers if n in xs}


def summarise(sens: dict[str, dict[int, list[float]]]) -> dict[str, dict[str, dict[int, float]]]:
    """Sensitivity rolled up per layer and per block (sums of group errors)."""
    per_layer = {n: {b: sum(v) for b, v in d.items()} for n, d in sens.items()}
    per_block: dict[str, dict[int, float]] = {}
    for n, d in per_layer.items():
        blk = per_block.setdefault(block_of(n), {})
        for b, v in d.items():
            blk[b] = blk.get(b, 0.0) + v
    return {"layer": per_layer, "block": per_block}
