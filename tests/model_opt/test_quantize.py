"""compress_ with uniform and mixed-precision configs; the exact allocator."""

from __future__ import annotations

import itertools
import random

import pytest
import torch

from accelsmith.model_opt import extract_profile
from accelsmith.model_opt._allocate import Unit, allocate_bits
from accelsmith.errors import UnknownName
from accelsmith.model_opt._compress import CompressConfig, compress_
from accelsmith.model_opt._errors import BudgetError, ModelOptError
from accelsmith.model_opt._packed_linear import PackedLinear
from accelsmith.model_opt._quantize import MixedPrecisionConfig, UniformQuantConfig


def test_allocator_is_exact_against_brute_force():
    rnd = random.Random(0)
    units = [Unit(f"u{i}", rnd.choice([64, 128, 192]), {4: rnd.random(), 6: rnd.random() / 3, 8: rnd.random() / 9})
             for i in range(6)]
    budget = int(5.5 * sum(u.numel for u in units))
    got = allocate_bits(units, budget)
    best = min((c for c in itertools.product([4, 6, 8], repeat=6)
                if sum(u.numel * b for u, b in zip(units, c)) <= budget),
               key=lambda c: sum(u.error[b] for u, b in zip(units, c)))
    assert [got[u.key] for u in units] == list(best)
    with pytest.raises(BudgetError, match=r"^budget of 10 bits is below"):
        allocate_bits(units, 10)


def test_uniform_int4_packs_every_linear(tiny_qwen, calib_ids):
    with torch.no_grad():
        ref = tiny_qwen(calib_ids[0]).logits
    report = compress_(tiny_qwen, UniformQuantConfig(w_bits=4, a_bits=8), calib=calib_ids)
    packed = [m for m in tiny_qwen.modules() if isinstance(m, PackedLinear)]
    assert len(packed) == 14 and report["avg_bits"] == 4.0
    assert isinstance(tiny_qwen.lm_head, torch.nn.Linear)  # skipped by default
    with torch.no_grad():
        out = tiny_qwen(calib_ids[0]).logits
    assert float((out - ref).pow(2).mean() / ref.pow(2).mean()) < 0.05  # W4A8 relative logit MSE
    p = extract_profile(tiny_qwen, seq_len=16)
    lin = {g.name: g for g in p.gemms}
    assert lin["model.layers.0.mlp.down_proj"].w_bits == 4 and lin["model.layers.0.mlp.down_proj"].a_bits == 8
    assert lin["model.layers.0.self_attn.qk"].a_bits == 8


@pytest.mark.parametrize("granularity", ["group", "layer", "block"])
def test_mixed_meets_budget_and_beats_uniform(tiny_qwen, calib_ids, granularity):
    cfg = MixedPrecisionConfig(avg_bits=6.0, candidates=(4, 6, 8), granularity=granularity)
    report = compress_(tiny_qwen, cfg, calib=calib_ids)
    assert report["avg_bits"] <= 6.0
    sens = report["sensitivity"]["layer"]
    chosen = {n: segs for n, segs in report["layers"].items()}
    mixed_err = uniform_err = 0.0
    for name, segs in chosen.items():
        rows = sum(e - a for a, e, _ in segs)
        mixed_err += sum(sens[name][b] * (e - a) / rows for a, e, b in segs) if granularity == "group" else sens[name][segs[0][2]]
        uniform_err += sens[name][6]
    assert mixed_err <= uniform_err * 1.05  # group errors are split evenly above, so 5 % slack
    assert set(report["sensitivity"]["block"]) == {"model.layers.0", "model.layers.1"}


def test_memory_budget(tiny_bert, calib_ids):
    params = sum(m.weight.numel() for n, m in tiny_bert.named_modules()
                 if isinstance(m, torch.nn.Linear) and "pooler" not in n)
    report = compress_(tiny_bert, MixedPrecisionConfig(weight_bytes=params * 5 // 8), calib=calib_ids)
    assert report["packed_weight_bytes"] <= params * 5 // 8
    assert 4.0 <= report["avg_bits"] <= 5.0


def test_config_errors(tiny_qwen):
    with pytest.raises(ValueError, match="exactly one of avg_bits or weight_bytes"):
        MixedPrecisionConfig()
    with pytest.raises(ModelOptError, match=r"needs calibration data"):
        compress_(tiny_qwen, MixedPrecisionConfig(avg_bits=6))

    class Other(CompressConfig):
        x: int = 1

    with pytest.raises(UnknownName, match=r"^unknown compression config 'Other'; known: "):
        compress_(tiny_qwen, Other())
