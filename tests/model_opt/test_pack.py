"""Bit packing and PackedLinear numerics."""

from __future__ import annotations

import math

import pytest
import torch

from accelsmith.model_opt._pack import pack_bits, quantise_groups, unpack_bits
from accelsmith.model_opt._packed_linear import PackedLinear


@pytest.mark.parametrize("bits", [2, 3, 4, 5, 6, 8])
def test_pack_roundtrip_and_size(bits):
    g = torch.Generator().manual_seed(bits)
    codes = torch.randint(-(2 ** (bits - 1)), 2 ** (bits - 1), (37, 24), generator=g, dtype=torch.int8)
    packed = pack_bits(codes, bits)
    assert packed.dtype == torch.uint8
    assert packed.numel() == math.ceil(codes.numel() * bits / 8)
    assert torch.equal(unpack_bits(packed, bits, codes.numel()).reshape(37, 24), codes)


def test_quantise_codes_in_range_and_clip_search_helps():
    w = torch.randn(16, 128, generator=torch.Generator().manual_seed(0))
    w[0, 0] = 12.0  # an outlier that plain max scaling wastes range on
    q, s = quantise_groups(w, 4, 64)
    assert q.min() >= -8 and q.max() <= 7 and s.shape == (16, 2) and s.dtype == torch.float16
    q0, s0 = quantise_groups(w, 4, 64, clip_search=False)
    err = lambda q, s: float(((q.float().reshape(16, 2, 64) * s.float()[..., None]).reshape(16, 128) - w).pow(2).sum())
    assert err(q, s) <= err(q0, s0)


@pytest.mark.parametrize("bits,tol", [(8, 1e-3), (4, 0.05)])
def test_packed_linear_matches_float(bits, tol):
    torch.manual_seed(0)
    lin = torch.nn.Linear(128, 48)
    packed = PackedLinear.from_linear(lin, [(0, 16, 8), (16, 48, bits)], group_size=64, a_bits=None)
    x = torch.randn(10, 128)
    with torch.no_grad():
        ref, out = lin(x), packed(x)
    rel = float((out - ref).pow(2).mean() / ref.pow(2).mean())
    assert rel < tol  # relative MSE tolerance per width
    assert packed.w_bits == 8
    assert packed.qweight_1.numel() == 32 * 128 * bits // 8
    assert "weight" not in dict(packed.named_parameters())


def test_packed_state_dict_roundtrip():
    lin = torch.nn.Linear(64, 32)
    a = PackedLinear.from_linear(lin, [(0, 32, 4)], 32, 8)
    b = PackedLinear(64, 32, [(0, 32, 4)], 32, 8, bias=True)
    b.load_state_dict(a.state_dict())
    x = torch.randn(3, 64)
    assert torch.equal(a(x), b(x))
