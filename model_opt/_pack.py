"""Integer weight quantisation and real bit packing (any width 2..8; int8 stored as bytes)."""

from __future__ import annotations

import torch

_CLIP_RATIOS = (1.0, 0.95, 0.9, 0.85, 0.8, 0.75)


def quantise_groups(w: torch.Tensor, bits: int, group_size: int, clip_search: bool = True
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric signed quantisation per (row, K group); returns int8 codes and fp16 scales [rows, groups].

    The clip search keeps, per group, the scale (max|w| * ratio) with the least squared error.
    """
    rows, k = w.shape
    gs = group_size if group_size and k % group_size == 0 else k
    wg = w.detach().float().reshape(rows, k // gs, gs)
    qmax = 2 ** (bits - 1) - 1
    amax = wg.abs().amax(-1, keepdim=True).clamp_min(1e-8)
    best_scale, best_err = None, None
    for ratio in (_CLIP_RATIOS if clip_search else (1.0,)):
        scale = (amax * ratio / qmax).half().float().clamp_min(1e-8)  # fp16 scales as stored
        q = torch.clamp(torch.round(wg / scale), -qmax - 1, qmax)
        err = ((q * scale - wg) ** 2).sum(-1, keepdim=True)
        if best_err is None:
            best_scale, best_err = scale, err
        else:
            better = err < best_err
            best_scale, best_err = torch.where(better, scale, best_scale), torch.minimum(err, best_err)
    q = torch.clamp(torch.round(wg / best_scale), -qmax - 1, qmax).to(torch.int8)
    return q.reshape(rows, k), best_scale.squeeze(-1).half()


def dequantise_groups(q: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    rows, k = q.shape
    groups = scales.shape[1]
    return (q.float().reshape(rows, groups, k // groups) * scales.float().unsqueeze(-1)).reshape(rows, k)


def pack_bits(q: torch.Tensor, bits: int) -> torch.Tensor:
    """Pack signed codes of ``bits`` width into a dense uint8 stream (little-endian bit order)."""
    if bits == 8:
        return q.to(torch.int8).flatten().view(torch.uint8).clone()
    u = (q.to(torch.int16) + (1 << (bits - 1))).to(torch.uint8).flatten()
    planes = (u.unsqueeze(-1) >> torch.arange(bits, dtype=torch.uint8)) & 1
    stream = planes.flatten()
    pad = (-stream.numel()) % 8
    stream = torch.cat([stream, stream.new_zeros(pad)]).reshape(-1, 8)
    return (stream << torch.arange(8, dtype=torch.uint8)).sum(-1, dtype=torch.uint8)


def unpack_bits(packed: torch.Tensor, bits: int, numel: int) -> torch.Tensor:
    """Inverse of ``pack_bits``: int8 codes, ``numel`` of them."""
    if bits == 8:
        return packed.view(torch.int8)[:numel]
    stream = ((packed.unsqueeze(-1) >> torch.arange(8, dtype=torch.uint8)) & 1).flatten()[: numel * bits]
    u = (stream.reshape(numel, bits).to(torch.int16) << torch.arange(bits, dtype=torch.int16)).sum(-1)
    return (u - (1 << (bits - 1))).to(torch.int8)


def fake_quant_activations(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Per-token symmetric quantise-dequantise: what an int ``bits`` datapath sees of an activation."""
    qmax = 2 ** (bits - 1) - 1
    scale = x.detach().abs().amax(-1, keepdim=True).clamp_min(1e-8) / qmax
    return torch.clamp(torch.round(x / scale), -qmax - 1, qmax) * scale
