"""``optimize``: load a model, run a recipe's steps, write the model, quality report and workload profile."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from accelsmith.model_opt._compress import compress_
from accelsmith.model_opt._constraints import derive_constraints
from accelsmith.model_opt._errors import ModelOptError
from accelsmith.model_opt._extract import cascade_stage, decoding_shapes, extract_profile
from accelsmith.model_opt._fusion import traffic_table, with_fusion
from accelsmith.model_opt._loading import load_model, save_compressed
from accelsmith.model_opt._lora import TEACHER_KEY, LoRAConfig
from accelsmith.model_opt._quality import is_causal_lm, pooled, quality, token_windows
from accelsmith.model_opt._profile import WorkloadProfile
from accelsmith.model_opt._recipe import Recipe, calibration_files, load_recipe

Progress = Callable[[str, int, int], None]


def _windows(recipe, recipe_path: Path, tokenizer) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    if tokenizer is None:
        raise ModelOptError("the model has no tokenizer; calibration text cannot be tokenised")
    cal = recipe.calibration
    texts = [f.read_text(errors="replace") for f in calibration_files(cal, recipe_path.parent)]
    wins = token_windows(tokenizer, texts, cal.window, cal.calib_tokens + cal.eval_tokens)
    n_eval = max(1, cal.eval_tokens // cal.window)
    if len(wins) <= n_eval:
        raise ModelOptError(f"calibration files give {len(wins)} windows of {cal.window} tokens; need > {n_eval}")
    return wins[:-n_eval], wins[-n_eval:]  # the last windows are held out for the quality report


def optimize(model_path: str | Path, recipe_path: str | Path, out_dir: str | Path,
             progress: Progress | None = None) -> dict[str, Any]:
    """Run the recipe; returns the quality report (also written as JSON and markdown under ``out_dir``)."""
    tell = progress or (lambda *_: None)
    recipe, steps = load_recipe(recipe_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    total = len(steps) + 3
    tell("load model", 0, total)
    model, tokenizer = load_model(model_path)
    calib, held_out = _windows(recipe, Path(recipe_path), tokenizer)
    ref = None if is_causal_lm(model) else pooled(model, held_out)
    before = quality(model, held_out, ref)
    batches: list[dict[str, torch.Tensor]] = [{"input_ids": w} for w in calib]
    if any(isinstance(c, LoRAConfig) and c.objective == "distill" for _, c in steps):
        with torch.no_grad():
            batches = [{**b, TEACHER_KEY: model(**b, output_hidden_states=True).hidden_states[-1]} for b in batches]
    step_reports = []
    for i, (kind, cfg) in enumerate(steps, start=1):
        tell(kind, i, total)
        t0 = time.perf_counter()
        rep = compress_(model, cfg, calib=batches)
        rep.pop("sensitivity", None) if kind != "mixed_precision" else None
        step_reports.append({"type": kind, "config": cfg.model_dump(mode="json"), "seconds": time.perf_counter() - t0,
                             **{k: v for k, v in rep.items() if k != "layers"}})
    tell("evaluate", len(steps) + 1, total)
    after = quality(model, held_out, ref)
    tell("write", len(steps) + 2, total)
    save_compressed(model, out / "model", tokenizer)
    profile = extract_profile(model, recipe.seq_len, recipe.image_tokens, name=str(model_path))
    profile = _schedule(profile, recipe, Path(recipe_path).parent, model)
    fusion_note = None
    if recipe.fusion:
        try:
            profile = with_fusion(profile, model, recipe.seq_len)
        except ModelOptError as err:  # the profile stands without it; say why
            fusion_note = str(err)
    profile.to_json_file(out / "workload_profile.json")
    (out / "topology.csv").write_text(profile.to_scalesim_csv())
    if profile.traffic:
        (out / "fusion.md").write_text(traffic_table(profile))
    constraints = derive_constraints(profile, recipe.budget)
    (out / "design_constraints.json").write_text(constraints.model_dump_json(indent=2))
    report = {"model": str(model_path), "recipe": recipe.name, "calibration_windows": len(calib),
              "held_out_windows": len(held_out), "window_tokens": recipe.calibration.window,
              "before": before, "after": after, "steps": step_reports,
              "params": sum(p.numel() for p in model.parameters()) + sum(b.numel() for b in model.buffers()),
              "gemm_macs": profile.total_macs, "arrays": [a.model_dump() for a in constraints.arrays]}
    if profile.traffic:
        report["fusion"] = {"bytes_unfused": sum(t.bytes_unfused for t in profile.traffic),
                            "bytes_fused": sum(t.bytes_fused for t in profile.traffic),
                            "groups": {p: sum(g.count for g in profile.fused if g.pattern == p)
                                       for p in sorted({g.pattern for g in profile.fused})}}
    elif fusion_note:
        report["fusion"] = {"not_captured": fusion_note}
    if profile.decoding:
        d = profile.decoding
        report["decoding"] = {"method": d.method, "draft_model": d.draft_model, "draft_tokens": d.draft_tokens,
                              "verify_macs": sum(g.macs for g in d.verify_gemms),
                              "draft_macs": sum(g.macs for g in d.draft_gemms)}
    if profile.cascade_before:
        report["cascade_before"] = [{"model": s.model, "params": s.params, "macs": s.macs}
                                    for s in profile.cascade_before]
    (out / "quality.json").write_text(json.dumps(report, indent=2, default=str))
    (out / "quality.md").write_text(_markdown(report))
    tell("done", total, total)
    return report


def _model_ref(ref: str, base: Path) -> str:
    """A recipe's model reference: a path relative to the recipe when one exists there, else as given."""
    p = Path(ref).expanduser()
    p = p if p.is_absolute() else base / p
    return str(p) if p.exists() else ref


def _schedule(profile: WorkloadProfile, recipe: Recipe, base: Path, model) -> WorkloadProfile:
    """The profile with the decoding schedule's shapes (draft and verify passes) and the cascade's earlier models."""
    update: dict[str, Any] = {}
    if (d := recipe.decoding) is not None:
        draft = load_model(_model_ref(d.draft_model, base))[0] if d.draft_model else None
        update["decoding"] = decoding_shapes(model, d.draft_tokens, recipe.seq_len if d.context is None else d.context,
                                             draft, d.draft_model)
    if recipe.cascade_before:
        update["cascade_before"] = [cascade_stage(load_model(_model_ref(ref, base))[0], recipe.seq_len, ref)
                                    for ref in recipe.cascade_before]
    return profile.model_copy(update=update) if update else profile


def _markdown(r: dict[str, Any]) -> str:
    lines = [f"# Quality report: {r['recipe']}", "", f"Model: `{r['model']}`", "",
             f"Held-out: {r['held_out_windows']} windows of {r['window_tokens']} tokens "
             f"(calibration: {r['calibration_windows']} windows).", "", "| metric | before | after |", "|---|---|---|"]
    lines += [f"| {k} | {r['before'][k]:.4f} | {r['after'][k]:.4f} |" for k in r["before"]]
    lines += ["", "| step | seconds | summary |", "|---|---|---|"]
    for s in r["steps"]:
        summary = {k: s[k] for k in ("avg_bits", "packed_weight_bytes", "params_after", "loss_last") if k in s}
        lines.append(f"| {s['type']} | {s['seconds']:.1f} | {summary} |")
    lines += ["", "| array | in_bits | K tile | utilisation |", "|---|---|---|---|"]
    lines += [f"| {a['rows']}x{a['cols']} | {a['in_bits']} | {a['k_tile']} | {a['utilisation']:.3f} |" for a in r["arrays"]]
    return "\n".join(lines) + "\n"
