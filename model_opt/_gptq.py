"""Weight quantisers that produce exact integer codes on the packed format's grid, and the statistics they need.

Two quantisers, one grid (symmetric signed codes, one fp16 scale per (row, K group), chosen by
``_pack.quantise_groups``' clip search on the original weights):

* ``rtn``: round each weight to the nearest code.
* ``gptq``: GPTQ (Frantar et al., 2023, "GPTQ: Accurate Post-Training Quantization for Generative
  Pre-trained Transformers", Algorithm 1) with static groups: columns are rounded in order and each
  column's rounding error is spread over the not-yet-rounded columns through the inverse of the layer's
  input Hessian ``H = X^T X``, so the layer's output error on the calibration inputs shrinks while every
  code stays on the same grid. Rows are independent, so any row slice of the result is the slice's own
  GPTQ answer (the mixed-precision segments rely on this).

The maintained GPTQ implementations do not fit this format: llmcompressor 0.14 pins transformers <= 5.17
(this project runs 5.24) and stores asymmetric/compressed-tensors layouts; torchao's GPTQ quantises only
to its int4/int8 tensor subclasses; hqq is zero-point (asymmetric) and calibration-free. The RTL golden
models need these exact symmetric codes at 2..8 bits, so the algorithm is written here (40 lines).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from accelsmith.model_opt._pack import quantise_groups
from accelsmith.model_opt._sensitivity import token_rows

Quantiser = Literal["rtn", "gptq"]


@torch.no_grad()
def collect_hessians(model: nn.Module, layers: dict[str, nn.Linear], batches: list[dict[str, torch.Tensor]]
                     ) -> dict[str, torch.Tensor]:
    """``{layer: X^T X / n}`` over every non-padding calibration token (float32, on the CPU)."""
    hess = {n: torch.zeros(m.in_features, m.in_features) for n, m in layers.items()}
    count = dict.fromkeys(layers, 0)
    mask: list[torch.Tensor | None] = [None]

    def hook(name):
        def fn(_mod, args):
            x = token_rows(args[0], mask[0])
            hess[name].addmm_(x.T, x)
            count[name] += x.shape[0]
        return fn

    handles = [m.register_forward_pre_hook(hook(n)) for n, m in layers.items()]
    model.eval()
    dev = next(model.parameters()).device
    try:
        for b in batches:
            mask[0] = b.get("attention_mask")
            model(**{k: v.to(dev) for k, v in b.items()})
    finally:
        for h in handles:
            h.remove()
    return {n: h / max(count[n], 1) for n, h in hess.items() if count[n]}


@torch.no_grad()
def gptq_quantise(w: torch.Tensor, hessian: torch.Tensor, bits: int, group_size: int, damp: float = 0.01,
                  block: int = 128, clip_search: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """GPTQ codes (int8, [rows, K]) and fp16 scales ([rows, K/group]) on the RTN quantiser's grid."""
    rows, k = w.shape
    gs = group_size if group_size and k % group_size == 0 else k
    _, scales = quantise_groups(w, bits, gs, clip_search)
    s = scales.float().repeat_interleave(gs, dim=1)            # [rows, K]: each column's scale
    qmax = 2 ** (bits - 1) - 1
    W = w.detach().float().clone()
    H = hessian.detach().float().clone()
    dead = torch.diag(H) == 0
    H[dead, dead] = 1.0
    W[:, dead] = 0.0
    H += damp * torch.diag(H).mean() * torch.eye(k)
    hinv = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(H)), upper=True)
    Q = torch.zeros(rows, k, dtype=torch.int8)
    for i1 in range(0, k, block):
        i2 = min(i1 + block, k)
        W1, h1 = W[:, i1:i2].clone(), hinv[i1:i2, i1:i2]
        err1 = torch.zeros_like(W1)
        for i in range(i2 - i1):
            col, sc = W1[:, i], s[:, i1 + i]
            q = torch.clamp(torch.round(col / sc), -qmax - 1, qmax)
            Q[:, i1 + i] = q.to(torch.int8)
            e = (col - q * sc) / h1[i, i]
            W1[:, i:] -= e.unsqueeze(1) * h1[i, i:].unsqueeze(0)
            err1[:, i] = e
        W[:, i2:] -= err1 @ hinv[i1:i2, i2:]
    return Q, scales


def quantise_layer(w: torch.Tensor, bits: int, group_size: int, quantiser: Quantiser,
                   hessian: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Codes and fp16 scales of one layer's weight by the chosen quantiser."""
    if quantiser == "gptq":
        if hessian is None:
            raise ValueError("the gptq quantiser needs the layer's input Hessian (calibration data)")
        return gptq_quantise(w.cpu(), hessian, bits, group_size)
    return quantise_groups(w.cpu(), bits, group_size)
