"""PackedLinear: a Linear whose weight lives as packed integer codes plus fp16 scales."""

from __future__ import annotations

import torch
from torch import nn

from accelsmith.model_opt._pack import dequantise_groups, fake_quant_activations, pack_bits, quantise_groups, unpack_bits


class PackedLinear(nn.Module):
    """Output rows are split into segments, each packed at its own width (mixed precision per channel group)."""

    is_packed_linear = True

    def __init__(self, in_features: int, out_features: int, segments: list[tuple[int, int, int]],
                 group_size: int, a_bits: int | None, bias: bool, dtype: torch.dtype = torch.float32):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.segments = [tuple(s) for s in segments]
        self.group_size = group_size if group_size and in_features % group_size == 0 else in_features
        self.a_bits = a_bits
        self.compute_dtype = dtype
        groups = in_features // self.group_size
        for i, (start, end, bits) in enumerate(self.segments):
            nbytes = (end - start) * in_features * bits // 8 + (1 if (end - start) * in_features * bits % 8 else 0)
            self.register_buffer(f"qweight_{i}", torch.zeros(nbytes, dtype=torch.uint8))
            self.register_buffer(f"scales_{i}", torch.zeros(end - start, groups, dtype=torch.float16))
        self.bias = nn.Parameter(torch.zeros(out_features, dtype=dtype)) if bias else None
        self._cache: torch.Tensor | None = None

    @property
    def w_bits(self) -> int:
        """The widest segment: what the datapath must carry."""
        return max(b for _, _, b in self.segments)

    @property
    def weight_bits_total(self) -> int:
        return sum((e - s) * self.in_features * b for s, e, b in self.segments)

    @classmethod
    def from_linear(cls, lin: nn.Linear, segments: list[tuple[int, int, int]], group_size: int,
                    a_bits: int | None, clip_search: bool = True,
                    codes: dict[int, tuple[torch.Tensor, torch.Tensor]] | None = None) -> PackedLinear:
        """``codes`` ({bits: (int8 codes, fp16 scales)} for the whole layer, e.g. from GPTQ) are sliced per
        segment; without them each segment is rounded to nearest."""
        out = cls(lin.in_features, lin.out_features, segments, group_size, a_bits, lin.bias is not None,
                  lin.weight.dtype)
        w = lin.weight.detach()
        for i, (start, end, bits) in enumerate(out.segments):
            if codes is not None:
                q, scales = (t[start:end] for t in codes[bits])
            else:
                q, scales = quantise_groups(w[start:end], bits, out.group_size, clip_search)
            getattr(out, f"qweight_{i}").copy_(pack_bits(q, bits))
            getattr(out, f"scales_{i}").copy_(scales)
        if lin.bias is not None:
            out.bias.data.copy_(lin.bias.detach())
        return out.to(w.device)

    def dequantised_weight(self) -> torch.Tensor:
        parts = []
        for i, (start, end, bits) in enumerate(self.segments):
            codes = unpack_bits(getattr(self, f"qweight_{i}"), bits, (end - start) * self.in_features)
            parts.append(dequantise_groups(codes.reshape(end - start, self.in_features), getattr(self, f"scales_{i}")))
        return torch.cat(parts).to(self.compute_dtype)

    def _load_from_state_dict(self, *args, **kwargs):
        self._cache = None  # new codes: drop the dequantised copy
        super()._load_from_state_dict(*args, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._cache is None or self._cache.device != x.device:
            self._cache = self.dequantised_weight().to(x.device)
        if self.a_bits is not None and self.a_bits < 16:
            x = fake_quant_activations(x, self.a_bits)
        return nn.functional.linear(x, self._cache.to(x.dtype), None if self.bias is None else self.bias.to(x.dtype))

    def extra_repr(self) -> str:
        bits = sorted({b for _, _, b in self.segments})
        return f"in={self.in_features}, out={self.out_features}, w_bits={bits}, a_bits={self.a_bits}, group={self.group_size}"
