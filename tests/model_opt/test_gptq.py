"""GPTQ on the packed grid, and the Fisher (loss-aware) sensitivity."""

from __future__ import annotations

import pytest
import torch

from accelsmith.model_opt import compress_
from accelsmith.model_opt._errors import ModelOptError
from accelsmith.model_opt._gptq import collect_hessians, gptq_quantise
from accelsmith.model_opt._pack import dequantise_groups, quantise_groups, unpack_bits
from accelsmith.model_opt._quantize import MixedPrecisionConfig, UniformQuantConfig, layer_codes
from accelsmith.model_opt._sensitivity import measure_sensitivity, quantisable_linears, sequence_fisher_sensitivity


def _correlated_inputs(rows: int, k: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mix = torch.randn(k, k, generator=g) / k ** 0.5 + torch.eye(k)
    return torch.randn(rows, k, generator=g) @ mix


@pytest.mark.parametrize("bits", [3, 4, 8])
def test_gptq_lowers_output_error_on_the_rtn_grid(bits):
    """MiniLM's FFN up-projection shape (1536 x 384): same scales as round-to-nearest, codes in range,
    less output error on the calibration inputs, and any row slice is the slice's own answer."""
    g = torch.Generator().manual_seed(1)
    w = torch.randn(1536, 384, generator=g) * 0.05
    x = _correlated_inputs(2048, 384)
    h = x.T @ x / x.shape[0]
    q, s = gptq_quantise(w, h, bits, 64)
    q_rtn, s_rtn = quantise_groups(w, bits, 64)
    assert torch.equal(s, s_rtn)
    assert int(q.min()) >= -(2 ** (bits - 1)) and int(q.max()) <= 2 ** (bits - 1) - 1
    err = float(((x @ (dequantise_groups(q, s) - w).T) ** 2).sum())
    err_rtn = float(((x @ (dequantise_groups(q_rtn, s_rtn) - w).T) ** 2).sum())
    assert err < 0.9 * err_rtn, (err, err_rtn)
    q_part, s_part = gptq_quantise(w[100:300], h, bits, 64)
    assert torch.equal(q_part, q[100:300]) and torch.equal(s_part, s[100:300])


def test_hessians_skip_padding(tiny_bert):
    ids = torch.randint(5, 95, (2, 12))
    mask = torch.ones(2, 12, dtype=torch.long)
    mask[1, 5:] = 0
    layers = quantisable_linears(tiny_bert, ("pooler",))
    seen = []
    name = next(iter(layers))
    handle = layers[name].register_forward_pre_hook(lambda _m, a: seen.append(a[0][mask.bool()].reshape(-1, 64)))
    hess = collect_hessians(tiny_bert, layers, [{"input_ids": ids, "attention_mask": mask}])
    handle.remove()
    x = seen[0]
    assert x.shape[0] == 17
    assert torch.allclose(hess[name], x.T @ x / 17, atol=1e-4)


def test_fisher_sees_a_layer_the_output_ignores(tiny_qwen, calib_ids):
    """Shrink one down-projection 1000x: its own relative error is unchanged, its effect on the model's
    output is a million times smaller. Only the Fisher measure says so."""
    down = tiny_qwen.model.layers[1].mlp.down_proj
    down.weight.data *= 1e-3
    skip = ("lm_head", "embed")
    batches = [{"input_ids": b} for b in calib_ids]
    out = measure_sensitivity(tiny_qwen, batches, (4,), 64, 1, skip, 256)
    fisher = measure_sensitivity(tiny_qwen, batches, (4,), 64, 1, skip, 256, fisher_draws=2)
    name = "model.layers.1.mlp.down_proj"
    others = sorted(v[4][0] for n, v in fisher.items() if n != name)
    others_out = sorted(v[4][0] for n, v in out.items() if n != name)
    assert fisher[name][4][0] < 1e-3 * others[len(others) // 2]
    assert out[name][4][0] > 0.1 * others_out[len(others_out) // 2]


def test_sequence_fisher_is_its_definition(tiny_bert):
    """Mean over draws of the sum over sentences of (sum over the sentence's tokens of g . dO)^2, computed by
    hand from the collected rows (padding dropped, two batches), equals the streamed contraction, and every
    token is tagged with its own sentence."""
    torch.manual_seed(0)
    ids = torch.randint(5, 95, (3, 10))
    pad = torch.ones_like(ids)
    pad[1, 6:] = 0
    pad[2, 3:] = 0
    batches = [{"input_ids": ids, "attention_mask": torch.ones_like(ids)},
               {"input_ids": ids.flip(0), "attention_mask": pad}]
    skip = ("pooler",)
    layers = quantisable_linears(tiny_bert, skip)
    from accelsmith.model_opt._pack import quantise_groups
    codes = {n: {b: quantise_groups(m.weight.detach(), b, 64) for b in (3, 4)} for n, m in layers.items()}
    seq = sequence_fisher_sensitivity(tiny_bert, batches, (3, 4), 2, skip, codes, draws=3)
    from accelsmith.model_opt._sensitivity import collect_sequence_fisher, group_bounds
    xs, sid, gs = collect_sequence_fisher(tiny_bert, layers, batches, draws=3)
    assert sid.tolist() == [i for i in range(3) for _ in range(10)] + [3] * 10 + [4] * 6 + [5] * 3
    for name in ("encoder.layer.1.output.dense", "encoder.layer.0.attention.self.query"):
        w = layers[name].weight.detach()
        for bits in (3, 4):
            d = xs[name] @ (dequantise_groups(*codes[name][bits]) - w).T
            for gi, (a, e) in enumerate(group_bounds(w.shape[0], 2)):
                by_hand = 0.0
                for k in range(3):
                    for s in range(6):
                        rows = sid == s
                        by_hand += float((gs[name][k][rows][:, a:e] * d[rows][:, a:e]).sum()) ** 2
                assert seq[name][bits][gi] == pytest.approx(by_hand / 3, rel=1e-4)
    assert all(p.requires_grad for p in tiny_bert.parameters())


def test_fisher_for_an_encoder(tiny_bert, calib_ids):
    batches = [{"input_ids": b, "attention_mask": torch.ones_like(b)} for b in calib_ids]
    sens = measure_sensitivity(tiny_bert, batches, (3, 6), 64, 2, ("pooler",), 64, fisher_draws=2)
    assert len(sens) == 12
    for by_bits in sens.values():
        assert all(v > 0 for v in by_bits[3]) and sum(by_bits[6]) < sum(by_bits[3])


def test_mixed_gptq_stores_exactly_the_gptq_codes(tiny_qwen, calib_ids):
    ref = {n: m.weight.detach().clone() for n, m in quantisable_linears(tiny_qwen, ("lm_head", "embed")).items()}
    codes = layer_codes(tiny_qwen, quantisable_linears(tiny_qwen, ("lm_head", "embed")), (4, 6), 64, "gptq",
                        [{"input_ids": b} for b in calib_ids])
    report = compress_(tiny_qwen, MixedPrecisionConfig(avg_bits=5, candidates=(4, 6), quantiser="gptq", a_bits=None),
                       calib=calib_ids)
    assert report["avg_bits"] <= 5.0 and report["quantiser"] == "gptq"
    widths = set()
    for name, segs in report["layers"].items():
        packed = tiny_qwen.get_submodule(name)
        for i, (a, e, b) in enumerate(segs):
            widths.add(b)
            got = unpack_bits(getattr(packed, f"qweight_{i}"), b, (e - a) * packed.in_features)
            assert torch.equal(got.reshape(e - a, -1), codes[name][b][0][a:e])
        assert packed.dequantised_weight().shape == ref[name].shape
    assert widths == {4, 6}
    out = tiny_qwen(input_ids=calib_ids[0]).logits
    assert torch.isfinite(out).all()


def test_gptq_needs_calibration(tiny_qwen):
    with pytest.raises(ModelOptError, match="gptq quantiser needs calibration data"):
        compress_(tiny_qwen, UniformQuantConfig(w_bits=4, quantiser="gptq"))


def test_sensitivity_on_held_out_batches(tiny_qwen, calib_ids):
    """GPTQ's codes come from the calibration batches either way; its layer errors measured on other inputs are
    larger than on the inputs it was fitted to (it minimises exactly those)."""
    from accelsmith.model_opt._quantize import mixed_inputs

    calib = [{"input_ids": b} for b in calib_ids]
    g = torch.Generator().manual_seed(2)  # calib_ids come from seed 1
    other = [{"input_ids": torch.randint(5, 95, b.shape, generator=g)} for b in calib_ids]
    cfg = MixedPrecisionConfig(avg_bits=4, candidates=(3, 4), quantiser="gptq", a_bits=None, sensitivity="output")
    codes_same, same = mixed_inputs(tiny_qwen, cfg, calib)
    codes_held, held = mixed_inputs(tiny_qwen, cfg, calib, sensitivity_batches=other)
    assert all(torch.equal(codes_same[n][b][0], codes_held[n][b][0]) for n in codes_same for b in (3, 4))
    ratio = sum(sum(held[n][3]) for n in held) / sum(sum(same[n][3]) for n in same)
    assert ratio > 1.0, ratio
