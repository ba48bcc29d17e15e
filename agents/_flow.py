"""``flow``: model -> optimize -> workload profile -> constraints -> one verified design per block -> system report.

Every step records itself in ``<out>/flow.json`` as it finishes, so a killed flow resumes where it stopped: a
finished optimize is not re-run and a verified block (same spec hash, run still in the store) is not redesigned.
The system report (``system_report.md`` / ``.json``) gives per block its status, synthesis figures and
measured cycles per job, and per model layer the cycles on the designed accelerator (one instance of each block,
blocks one after another, no overlap between them: a conservative sequential bound) with inferences and tokens
per second at a stated clock.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from pathlib import Path

from accelsmith.agents._report import perf_figures
from accelsmith.agents._run import design, design_on_ray
from accelsmith.runstore import RunStore, write_json
from accelsmith.spec import BlockSpec

Say = Callable[[str], None]


def _load_state(out: Path) -> dict:
    p = out / "flow.json"
    if p.is_file():
        try:
            return json.loads(p.read_text())
        except json.JSONDecodeError:
            pass  # a half-written file from a kill mid-write: start the bookkeeping again (runs are kept)
    return {"optimize": None, "blocks": {}}


def _save_state(out: Path, state: dict) -> None:
    tmp = out / "flow.json.tmp"
    tmp.write_text(json.dumps(state, indent=1))
    tmp.replace(out / "flow.json")


def run_flow(model: str | Path, recipe: str | Path, out: str | Path, *, store: RunStore | None = None,
             sim: str = "verilator", cross_check: list[str] | None = None, estimate: bool = True,
             synth_max_units: int = 64, clock_mhz: float = 500.0, say: Say | None = None,
             on_progress: Callable[[str, dict], None] | None = None, ray_address: str | None = None,
             **design_options) -> dict:
    """The whole loop; returns the system report (also written under ``out``). With ``ray_address`` the dataflow
    search's candidates and every block's design run are Ray tasks (docs/campaigns.md).

    ``estimate`` synthesises each verified block whose ``design_units`` is at most ``synth_max_units`` (yosys took
    242 s for an 8x8 GEMM on this machine kind, so a 32x32 array is left out unless the cap is raised)."""
    from accelsmith.model_opt import load_profile
    from accelsmith.model_opt._constraints import derive_constraints
    from accelsmith.model_opt._optimize import optimize
    from accelsmith.model_opt._recipe import load_recipe

    tell = say or (lambda _msg: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    store = store or RunStore(out / "runs")
    state = _load_state(out)
    t0 = time.perf_counter()
    if state.get("optimize") and (out / "workload_profile.json").is_file():
        tell(f"optimize: done earlier ({state['optimize']['seconds']:.0f} s), reusing {out / 'workload_profile.json'}")
    else:
        tell(f"optimize {model} with {recipe}")
        t = time.perf_counter()
        report = optimize(model, recipe, out, progress=lambda step, i, n: tell(f"  optimize [{i}/{n}] {step}"))
        state["optimize"] = {"seconds": round(time.perf_counter() - t, 1), "after": report.get("after")}
        _save_state(out, state)
    recipe_obj, _ = load_recipe(recipe)
    profile = load_profile(out / "workload_profile.json")
    if recipe_obj.budget.dram_bytes_per_cycle is not None:
        tell(f"dataflow search (ZigZag) over {len(profile.gemms)} GEMMs: {recipe_obj.budget.buffer_bytes} B SRAM, "
             f"{recipe_obj.budget.dram_bytes_per_cycle} B/cycle DRAM")
    constraints = derive_constraints(profile, recipe_obj.budget, ray_address=ray_address)
    (out / "design_constraints.json").write_text(constraints.model_dump_json(indent=2))
    specs = constraints.to_block_specs()

    def record(spec: BlockSpec, final: dict, seconds: float) -> None:
        bench = (final.get("bench") or {}).get(sim, {})
        state["blocks"][spec.spec_hash] = {
            "name": spec.label, "kind": spec.kind, "spec": spec.to_json(), "run_id": final["run_id"],
            "status": final.get("status"), "stop_reason": final.get("stop_reason"), "seconds": round(seconds, 1),
            "sims": {s: {"passed": r["passed"], "cases": f"{sum(c['passed'] for c in r['cases'])}/{len(r['cases'])}",
                         "reduced_plan": r.get("reduced_plan", False)} for s, r in (final.get("bench") or {}).items()},
            "perf": perf_figures(bench, getattr(spec, "ideal_job_cycles", None), getattr(spec, "k", None)),
            "fpga": (final.get("ppa") or {}).get("fpga"),
            "synth": (final.get("ppa") or {}).get("synth") or (
                {"ok": False, "error": f"not synthesised: {spec.size_label} is above --synth-max-units {synth_max_units}"}
                if estimate else None),
        }
        _save_state(out, state)
        tell(f"    {spec.label}: {final.get('status')} in {seconds:.0f} s")

    def options(spec: BlockSpec) -> dict:
        return dict(sim=sim, cross_check=cross_check, estimate=estimate and spec.design_units <= synth_max_units,
                    **design_options)

    todo = []
    for i, spec in enumerate(specs, start=1):
        done = state["blocks"].get(spec.spec_hash)
        if done and done.get("status") == "verified" and store.get(done["run_id"]) is not None:
            tell(f"[{i}/{len(specs)}] {spec.kind} {spec.summary()}: verified earlier (run {done['run_id']})")
        else:
            todo.append(spec)
    if ray_address:
        if todo:
            tell(f"design {len(todo)} block(s) as Ray tasks at {ray_address}")
            design_on_ray(todo, options, store, ray_address, on_final=record)
    else:
        for spec in todo:
            tell(f"[{specs.index(spec) + 1}/{len(specs)}] design {spec.kind}: {spec.summary()}")
            t = time.perf_counter()
            final = design(spec, store=store, on_progress=on_progress or (lambda node, delta: tell(f"    {node}")),
                           **options(spec))
            record(spec, final, time.perf_counter() - t)
    report = system_report(profile, specs, state, clock_mhz=clock_mhz, pending=constraints.pending)
    report["flow_seconds_this_call"] = round(time.perf_counter() - t0, 1)
    write_json(out / "system_report.json", report)
    (out / "system_report.md").write_text(system_report_markdown(report))
    return report


def _cycles_per_job(entry: dict | None) -> float | None:
    if not entry:
        return None
    perf = entry.get("perf") or {}
    return perf.get("cycles_per_job_streaming") or perf.get("job_latency_cycles")


def _layer(name: str) -> str:
    m = re.search(r"(?:^|\.)(?:layers?|h|blocks?)\.(\d+)(?:\.|$)", name)
    return f"layer {int(m.group(1))}" if m else "other"


def system_report(profile, specs: list[BlockSpec], state: dict, *, clock_mhz: float, pending: list) -> dict:
    """Per block figures, and per layer cycles from the profile's shapes times each block's measured cycles/job."""
    from accelsmith.model_opt._constraints import DesignBudget, operand_bits
    from accelsmith.verification._fpga import summary as fpga_summary

    blocks = []
    for spec in specs:
        e = state["blocks"].get(spec.spec_hash, {})
        synth = e.get("synth") or {}
        blocks.append({"name": spec.label, "kind": spec.kind, "summary": spec.summary(), "status": e.get("status", "not run"),
                       "run_id": e.get("run_id"), "sims": e.get("sims", {}), "seconds": e.get("seconds"),
                       "cells": synth.get("cells"), "flip_flops": synth.get("flip_flops"),
                       "synth_note": synth.get("error"),
                       "logic_depth": synth.get("logic_depth"), "cycles_per_job": _cycles_per_job(e),
                       "fpga": e.get("fpga"), "fpga_summary": fpga_summary(e.get("fpga")) if e.get("fpga") else None,
                       "job_latency_cycles": (e.get("perf") or {}).get("job_latency_cycles")})
    by = {(b["kind"]): [] for b in blocks}
    for spec, b in zip(specs, blocks):
        by[spec.kind].append((spec, b))

    layers: dict[str, dict[str, float]] = {}
    unmapped: list[str] = []

    def add(layer: str, block: str, cycles: float) -> None:
        layers.setdefault(layer, {})
        layers[layer][block] = layers[layer].get(block, 0.0) + cycles

    budget = DesignBudget()
    for g in profile.gemms:
        bits = operand_bits(g, budget)
        cand = [(s, b) for s, b in by.get("gemm", []) if s.in_bits == bits] or by.get("gemm", [])
        if not cand or cand[0][1]["cycles_per_job"] is None:
            unmapped.append(g.name)
            continue
        s, b = cand[0]
        jobs = g.count * math.ceil(g.m / s.rows) * math.ceil(g.n / s.cols) * math.ceil(g.k / s.k)
        add(_layer(g.name), b["name"], jobs * b["cycles_per_job"])
        req = [(rs, rb) for rs, rb in by.get("requant", []) if rb["cycles_per_job"] is not None]
        if req and g.op == "linear":
            rs, rb = req[0]
            add(_layer(g.name), rb["name"], g.count * g.m * math.ceil(g.n / rs.lanes) * rb["cycles_per_job"])
    for v in profile.vectors:
        if v.op == "softmax":
            cand = [(s, b) for s, b in by.get("softmax", []) if s.length >= v.size]
            jobs = v.rows
        elif v.op in ("layernorm", "rmsnorm"):
            cand = [(s, b) for s, b in by.get("norm", []) if s.norm == v.op and s.hidden == v.size]
            jobs = v.rows
        else:
            cand = [(s, b) for s, b in by.get("activation", []) if s.function == v.op]
            jobs = v.rows * math.ceil(v.size / cand[0][0].lanes) if cand else 0
        if not cand or cand[0][1]["cycles_per_job"] is None:
            unmapped.append(v.name)
            continue
        add(_layer(v.name), cand[0][1]["name"], jobs * cand[0][1]["cycles_per_job"])
    fused = 0.0  # the attention block instead of the qk GEMM, softmax and av GEMM
    for a in profile.attention:
        cand = [(s, b) for s, b in by.get("attention", []) if s.head_dim == a.head_dim and s.seq_len >= a.kv_len]
        if cand and cand[0][1]["cycles_per_job"] is not None:
            fused += a.heads * a.q_len * cand[0][1]["cycles_per_job"]
    layer_rows = [{"layer": k, "by_block": {n: round(c) for n, c in v.items()}}
                  for k, v in sorted(layers.items(), key=lambda kv: (kv[0] == "other", _num(kv[0])))]
    for row in layer_rows:
        row["cycles"] = sum(row["by_block"].values())
    total = sum(row["cycles"] for row in layer_rows)
    attn_path = sum(c for layer in layers.values() for name, c in layer.items()
                    if any(b["name"] == name and b["kind"] == "softmax" for b in blocks))
    attn_gemm = 0.0
    for g in profile.gemms:
        if g.op in ("attention_qk", "attention_av"):
            cand = [(s, b) for s, b in by.get("gemm", []) if b["cycles_per_job"] is not None]
            if cand:
                s, b = cand[0]
                attn_gemm += g.count * math.ceil(g.m / s.rows) * math.ceil(g.n / s.cols) * math.ceil(g.k / s.k) \
                    * b["cycles_per_job"]
    hz = clock_mhz * 1e6
    per_s = hz / total if total else None
    fused_total = total - attn_path - attn_gemm + fused if fused else None
    return {
        "model": profile.model, "model_type": profile.model_type, "seq_len": profile.seq_len,
        "clock_mhz": clock_mhz, "blocks": blocks, "pending": pending, "unmapped_ops": unmapped,
        "layers": layer_rows, "total_cycles": total,
        "inferences_per_s": per_s and round(per_s, 2),
        "tokens_per_s": per_s and round(per_s * profile.seq_len, 1),
        "with_fused_attention": fused_total and {
            "total_cycles": round(fused_total), "inferences_per_s": round(hz / fused_total, 2),
            "tokens_per_s": round(hz / fused_total * profile.seq_len, 1)},
        "all_verified": all(b["status"] == "verified" for b in blocks) and not pending,
    }


def _num(layer: str) -> int:
    m = re.search(r"\d+", layer)
    return int(m.group()) if m else -1


def system_report_markdown(r: dict) -> str:
    lines = [f"# System report: {r['model']}", "",
             f"{r['model_type']}, sequence {r['seq_len']}; clock {r['clock_mhz']:g} MHz (stated, not a timing result). "
             "Cycles: each block's measured streaming cycles per job (Verilator bench, `throughput` case) times the "
             "jobs the profile's shapes need; one instance of each block, blocks run one after another.", "",
             "## Blocks", "", "| block | spec | status | simulators | cells | FF bits | depth | FPGA (placed and routed) | "
             "cycles/job | run |", "|---|---|---|---|---|---|---|---|---|---|"]
    for b in r["blocks"]:
        sims = ", ".join(f"{s} {v['cases']}" + (" (reduced)" if v.get("reduced_plan") else "") for s, v in b["sims"].items())
        lines.append(f"| {b['name']} | {b['summary']} | {b['status']} | {sims} | {b['cells'] or b['synth_note'] or '-'} | "
                     f"{b['flip_flops'] or '-'} | {b['logic_depth'] or '-'} | {b.get('fpga_summary') or '-'} | "
                     f"{b['cycles_per_job'] or '-'} | {b['run_id']} |")
    if r["pending"]:
        lines += ["", "Pending (no block): " + "; ".join(f"{p.get('name')}: {p.get('reason')}" for p in r["pending"])]
    lines += ["", "## Layers", "", "| layer | cycles | by block |", "|---|---|---|"]
    for layer in r["layers"]:
        lines.append(f"| {layer['layer']} | {layer['cycles']:,} | "
                     + ", ".join(f"{n} {c:,}" for n, c in layer["by_block"].items()) + " |")
    lines += ["", f"**Total: {r['total_cycles']:,} cycles per inference** -> "
                  f"{r['inferences_per_s']} inferences/s, {r['tokens_per_s']} tokens/s (prefill of {r['seq_len']} tokens) "
                  f"at {r['clock_mhz']:g} MHz."]
    if r.get("with_fused_attention"):
        f = r["with_fused_attention"]
        lines.append(f"With the fused attention block instead of the qk GEMM, softmax and av GEMM: "
                     f"{f['total_cycles']:,} cycles, {f['inferences_per_s']} inferences/s, {f['tokens_per_s']} tokens/s.")
    if r["unmapped_ops"]:
        lines.append(f"Ops with no measured block (not counted): {', '.join(r['unmapped_ops'][:10])}")
    lines.append("")
    lines.append(f"All blocks verified: {'yes' if r['all_verified'] else 'no'}.")
    return "\n".join(lines) + "\n"
