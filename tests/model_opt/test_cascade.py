"""The inference cascade: routing by self-test scores, calibration, the cost/quality curve and its chosen point."""

from __future__ import annotations

import math

import pytest
import torch

from accelsmith.model_opt._cascade import (Cascade, choose_point, confidence, cost_quality_curve, evaluate,
                                           expected_calibration_error, fit_temperature, pareto, route)


def test_route_keeps_the_first_answer_that_passes_its_self_test():
    scores = [[0.9, 0.2, 0.6, 0.1], [0.5, 0.9, 0.1, 0.3], [0, 0, 0, 0]]
    assert route(scores, [0.5, 0.8]) == [0, 1, 0, 2]
    with pytest.raises(ValueError, match="3 stages need 2 thresholds"):
        route(scores, [0.5])


def test_evaluate_counts_cost_of_every_stage_tried():
    scores = [[0.9, 0.2, 0.6, 0.1], [0, 0, 0, 0]]
    correct = [[1, 0, 0, 1], [1, 1, 1, 1]]
    p = evaluate(scores, correct, [1.0, 10.0], [0.5])
    # queries 0 and 2 kept at stage 0 (correct, wrong), 1 and 3 escalated (both right with the large model)
    assert p.metric == 0.75 and p.mean_cost == (1 + 11 + 1 + 11) / 4
    assert p.escalated == (0.5,) and p.answered_by == (0.5, 0.5)
    # per-query costs (tokens, say)
    p = evaluate(scores, correct, [[1, 2, 3, 4], [10, 10, 10, 10]], [0.5])
    assert p.mean_cost == (1 + 12 + 3 + 14) / 4


def test_temperature_scaling_recovers_an_overconfident_models_temperature():
    g = torch.Generator().manual_seed(0)
    true_logits = torch.randn(4000, 5, generator=g) * 1.5
    labels = torch.multinomial(torch.softmax(true_logits, -1), 1, generator=g).squeeze(1)
    shown = true_logits * 3.0  # three times too sharp
    t = fit_temperature(shown, labels)
    assert 2.6 < t < 3.4
    correct = shown.argmax(-1) == labels
    assert (expected_calibration_error(confidence(shown, t), correct)
            < expected_calibration_error(confidence(shown), correct) / 2)


def test_curve_front_and_the_cheapest_point_meeting_a_target():
    g = torch.Generator().manual_seed(1)
    n = 400
    conf_small = torch.rand(n, generator=g)
    # the small model is right more often when it is confident; the large one is right 95 % of the time
    small_ok = (torch.rand(n, generator=g) < 0.4 + 0.6 * conf_small).float()
    large_ok = (torch.rand(n, generator=g) < 0.95).float()
    scores, correct = [conf_small.tolist(), [0.0] * n], [small_ok.tolist(), large_ok.tolist()]
    curve = cost_quality_curve(scores, correct, [1.0, 20.0], grid=11)
    ends = {p.thresholds[0]: p for p in curve if math.isinf(p.thresholds[0])}
    assert ends[-math.inf].mean_cost == 1.0 and ends[math.inf].mean_cost == 21.0  # never / always escalate
    front = pareto(curve)
    assert [p.mean_cost for p in front] == sorted(p.mean_cost for p in front)
    assert all(a.metric < b.metric for a, b in zip(front, front[1:]))
    target = 0.9
    chosen = choose_point(curve, target)
    assert chosen is not None and chosen.metric >= target
    assert all(p.mean_cost >= chosen.mean_cost for p in curve if p.metric >= target)
    assert 0 < chosen.escalated[0] < 1 and chosen.mean_cost < 21.0  # cheaper than always asking the large model
    assert choose_point(curve, 1.01) is None


def test_online_cascade_escalates_only_failed_self_tests():
    calls = []

    def small(q):
        calls.append(("small", q))
        return q * 2 if q < 10 else -1

    def large(q):
        calls.append(("large", q))
        return q * 2

    casc = Cascade([small, large], tests=[lambda q, a: float(a >= 0)], thresholds=[0.5],
                   costs=[lambda q, a: 1.0, lambda q, a: 10.0])
    assert casc(3) == (6, {"scores": [1.0], "cost": 1.0, "stage": 0})
    assert casc(12) == (24, {"scores": [0.0], "cost": 11.0, "stage": 1})
    assert calls == [("small", 3), ("small", 12), ("large", 12)]
    with pytest.raises(ValueError):
        Cascade([small, large], tests=[], thresholds=[])
