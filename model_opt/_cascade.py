"""A small-to-large inference cascade: an ordered list of models, each answer kept or escalated by a self-test.

Every query goes to the cheapest model first; a lightweight self-test scores its answer (for classification the
calibrated confidence, the largest softmax probability after temperature scaling fitted on held-out data; for code
generation the project's own scan + lint + smoke simulation, a pass/fail score). A score at or above the stage's
threshold keeps the answer, otherwise the query goes to the next model; the last model's answer is always kept.

Thresholds are fitted on held-out data: ``cost_quality_curve`` sweeps them and reports, per point, the share of
queries escalated past each stage, the mean cost per query (FLOPs, tokens, seconds: whatever unit the caller's
costs are in) and the task metric; ``choose_point`` picks the cheapest point whose metric meets a quality target.
``Cascade`` applies chosen thresholds online to callables.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, steps: int = 200) -> float:
    """The temperature T that minimises the negative log-likelihood of softmax(logits / T) on held-out data
    (Guo et al. 2017); confidence = max softmax(logits / T)."""
    logits, labels = logits.detach().float(), labels.detach().long()
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=steps)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss
    opt.step(closure)
    return float(log_t.detach().exp())


def confidence(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Largest class probability of each row after temperature scaling."""
    return torch.softmax(logits.float() / temperature, dim=-1).max(dim=-1).values


def expected_calibration_error(conf: torch.Tensor, correct: torch.Tensor, bins: int = 10) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins."""
    conf, correct = conf.float(), correct.float()
    edges = torch.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            ece += float(m.float().mean()) * abs(float(conf[m].mean()) - float(correct[m].mean()))
    return ece


@dataclass(frozen=True)
class CascadePoint:
    """One setting of the thresholds and what it does on a data set."""

    thresholds: tuple[float, ...]
    metric: float
    mean_cost: float
    escalated: tuple[float, ...]   # share of all queries that went past stage i
    answered_by: tuple[float, ...]  # share of queries whose answer came from stage i

    def as_dict(self) -> dict[str, Any]:
        return {"thresholds": [round(t, 6) for t in self.thresholds], "metric": round(self.metric, 6),
                "mean_cost": self.mean_cost, "escalated": [round(e, 4) for e in self.escalated],
                "answered_by": [round(a, 4) for a in self.answered_by]}


def route(scores: Sequence[Sequence[float]], thresholds: Sequence[float]) -> list[int]:
    """For each query, the index of the stage whose answer is kept: the first whose score meets its threshold (the
    last stage when none does). ``scores[i][q]``: stage i's self-test score of query q (the last stage's are unused)."""
    n_stages = len(scores)
    if len(thresholds) != n_stages - 1:
        raise ValueError(f"{n_stages} stages need {n_stages - 1} thresholds, got {len(thresholds)}")
    out = []
    for q in range(len(scores[0])):
        out.append(next((i for i, t in enumerate(thresholds) if scores[i][q] >= t), n_stages - 1))
    return out


def evaluate(scores: Sequence[Sequence[float]], correct: Sequence[Sequence[float]], costs: Sequence[float | Sequence[float]],
             thresholds: Sequence[float]) -> CascadePoint:
    """The metric (mean of ``correct`` of the kept answers: accuracy for 0/1) and the mean cost of one threshold
    setting; a query escalated to stage i paid for stages 0..i. ``costs[i]``: per query, or one number for all."""
    chosen = route(scores, thresholds)
    n, n_stages = len(chosen), len(scores)

    def cost(i: int, q: int) -> float:
        c = costs[i]
        return float(c[q]) if isinstance(c, Sequence) else float(c)
    metric = sum(float(correct[s][q]) for q, s in enumerate(chosen)) / n
    mean_cost = sum(sum(cost(i, q) for i in range(s + 1)) for q, s in enumerate(chosen)) / n
    escalated = tuple(sum(s > i for s in chosen) / n for i in range(n_stages - 1))
    answered = tuple(sum(s == i for s in chosen) / n for i in range(n_stages))
    return CascadePoint(tuple(float(t) for t in thresholds), metric, mean_cost, escalated, answered)


def cost_quality_curve(scores, correct, costs, grid: int = 21) -> list[CascadePoint]:
    """Every combination of per-stage thresholds at ``grid`` quantiles of that stage's scores (plus "always keep"
    and "never keep"), evaluated; sorted by cost. The Pareto front is ``pareto(curve)``."""
    cands = []
    for s in scores[:-1]:
        vals = sorted(float(v) for v in s)
        qs = {vals[min(len(vals) - 1, int(round(k * (len(vals) - 1) / (grid - 1))))] for k in range(grid)}
        cands.append(sorted(qs | {-math.inf, math.inf}))
    points = [evaluate(scores, correct, costs, t) for t in itertools.product(*cands)]
    return sorted(points, key=lambda p: (p.mean_cost, -p.metric))


def pareto(points: Sequence[CascadePoint]) -> list[CascadePoint]:
    """The points no other point beats on both cost (lower) and metric (higher), cheapest first."""
    front, best = [], -math.inf
    for p in sorted(points, key=lambda p: (p.mean_cost, -p.metric)):
        if p.metric > best:
            front.append(p)
            best = p.metric
    return front


def choose_point(points: Sequence[CascadePoint], target: float) -> CascadePoint | None:
    """The cheapest point whose metric is at least ``target``; None when no point reaches it."""
    ok = [p for p in points if p.metric >= target]
    return min(ok, key=lambda p: (p.mean_cost, -p.metric)) if ok else None


@dataclass
class Cascade:
    """Online routing with fitted thresholds: ``stages[i](query) -> answer``, ``tests[i](query, answer) -> score``
    (the last stage needs none), ``costs[i](query, answer) -> cost`` of running stage i."""

    stages: list[Callable[[Any], Any]]
    tests: list[Callable[[Any, Any], float]]
    thresholds: list[float]
    costs: list[Callable[[Any, Any], float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError("a cascade needs at least one stage")
        if len(self.tests) < len(self.stages) - 1 or len(self.thresholds) != len(self.stages) - 1:
            raise ValueError(f"{len(self.stages)} stages need {len(self.stages) - 1} self-tests and thresholds")

    def __call__(self, query: Any) -> tuple[Any, dict[str, Any]]:
        """(the kept answer, a record: the stage that answered, each stage's score and the cost paid)."""
        record: dict[str, Any] = {"scores": [], "cost": 0.0}
        for i, stage in enumerate(self.stages):
            answer = stage(query)
            if i < len(self.costs):
                record["cost"] += float(self.costs[i](query, answer))
            if i == len(self.stages) - 1:
                break
            score = float(self.tests[i](query, answer))
            record["scores"].append(score)
            if score >= self.thresholds[i]:
                break
        record["stage"] = i
        return answer, record
