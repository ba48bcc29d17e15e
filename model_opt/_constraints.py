"""WorkloadProfile -> DesignConstraints -> BlockSpecs for the design flow."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accelsmith.model_opt._array import ArrayChoice, best_k_tile, candidate_arrays, choose_array
from accelsmith.model_opt._dataflow import array_operands
from accelsmith.model_opt._errors import BudgetError
from accelsmith.model_opt._profile import GemmOp, WorkloadProfile, load_profile
from accelsmith.errors import AccelsmithError
from accelsmith.kinds.attention import attention_block
from accelsmith.spec import BlockSpec, known_kinds, spec_from_dict


class DesignBudget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pe_budget: int = Field(1024, ge=1, description="processing elements per GEMM array")
    buffer_bytes: int = Field(256 * 1024, ge=1, description="on-chip bytes for one job's tiles")
    max_dim: int = Field(64, ge=1, le=64, description="largest rows/cols a GemmSpec allows")
    unquantised_bits: int = Field(8, description="operand bits assumed for layers left in floating point")
    dataflow: str = "output_stationary"
    dram_bytes_per_cycle: int | None = Field(
        None, ge=1, le=4096, description="set: the dataflow search (ZigZag) chooses each array's shape and dataflow "
                                         "for the fewest cycles with stalls, buffer_bytes being the SRAM budget")


class DesignConstraints(BaseModel):
    """Block specs ready to validate (``blocks``) and those whose kind is not registered yet (``pending``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    budget: DesignBudget
    arrays: list[ArrayChoice]
    blocks: list[dict[str, Any]]
    pending: list[dict[str, Any]] = []
    notes: list[str] = []

    def to_block_specs(self) -> list[BlockSpec]:
        return [spec_from_dict(b, source=f"constraints:{b.get('name')}") for b in self.blocks]


def operand_bits(g: GemmOp, budget: DesignBudget) -> int:
    """GemmSpec width for a GEMM: both operands share one width, 4 or 8 (``_dataflow.array_operands``, the rule the
    dataflow search applies too)."""
    return array_operands(g, budget.unquantised_bits).a_bits


_REQUANT_IN = (16, 24, 32)  # RequantSpec.in_bits choices


def _full_rate(fields: dict[str, Any]) -> dict[str, Any]:
    """A softmax or norm block with the vector buffers (and division rate) it needs to take one beat per cycle
    back to back, as the GEMMs feeding it do; fields the spec refuses are left as they are, for validation to
    report."""
    try:
        spec = spec_from_dict({k: v for k, v in fields.items() if k != "name"})
    except (AccelsmithError, ValueError):
        return fields
    full = getattr(spec, "full_rate_fields", None)  # a kind registered in place of the built-in may not state one
    return {**fields, **full()} if full else fields


def ws_job_rows(gemms: list[GemmOp], rows: int, cols: int, k_tile: int) -> int:
    """M of a weight-stationary array (GemmSpec.m: rows of A streamed through each weight fold): among the GEMMs' own
    M (at most 4096) and the array's rows, the one with the fewest cycles over ``gemms`` (ceil(M_g / M) jobs per
    column tile and K tile, each ceil(k_tile / rows) folds of max(M, rows, cols - 1) beats); ties: the larger (each
    weight fold then serves more rows: less weight traffic)."""
    folds = math.ceil(k_tile / rows)

    def cycles(m: int) -> int:
        beats = folds * max(m, rows, cols - 1)
        return sum(g.count * math.ceil(g.m / m) * math.ceil(g.n / cols) * math.ceil(g.k / k_tile) * beats
                   for g in gemms)

    return min(sorted({min(g.m, 4096) for g in gemms} | {rows}), key=lambda m: (cycles(m), -m))


def attention_query_rows(head_dim: int, seq_len: int, kv_bytes_per_cycle: float) -> int:
    """Br that ``attention_block`` picks under ``kv_bytes_per_cycle``."""
    return attention_block(head_dim, seq_len, kv_bytes_per_cycle)["query_rows"]


def _vector_candidates(profile: WorkloadProfile, arrays: list[ArrayChoice],
                       dataflow: str = "output_stationary",
                       kv_bytes_per_cycle: float | None = None) -> list[dict[str, Any]]:
    """Non-GEMM blocks, each written in its spec class's own fields; a kind with no block goes to ``pending``.

    softmax length = the longest key sequence; softmax and norm at full rate (``_full_rate``); attention tile:
    head_dim and seq_len = kv_len (one tile serves every head in turn), kv_block, and under a K/V bandwidth budget
    (``kv_bytes_per_cycle``: the DRAM budget) that budget and the query rows per pass (``attention_block``); norm
    ``hidden`` = the normalised size;
    activations are elementwise (one spec per function); relu is the clamp unit at [0, max]; each GEMM array gets
    a requantiser from its accumulator width (the next of 16/24/32 bits) to its operand width, one lane per column;
    and, for each activation that the profile's fused groups (``model_opt._fusion``) find right after a GEMM, the
    array with its requantiser and that activation fused (``gemm_epilogue``).
    """
    act = min(profile.act_bits, 8)
    out: list[dict[str, Any]] = []
    if profile.attention:
        seq = max(a.kv_len for a in profile.attention)
        out.append(_full_rate({"kind": "softmax", "name": f"softmax_len{seq}", "length": seq, "in_bits": act}))
        for head_dim, kv_len, tower in sorted({(x.head_dim, x.kv_len, x.tower) for x in profile.attention}):
            out.append({"kind": "attention", "name": f"attention_{tower}_d{head_dim}_s{kv_len}",
                        **attention_block(head_dim, kv_len, kv_bytes_per_cycle)})  # the kind's sizing rule
    for op, size in sorted({(v.op, v.size) for v in profile.vectors if v.op != "softmax"}):
        if op in ("layernorm", "rmsnorm"):
            out.append(_full_rate({"kind": "norm", "name": f"{op}_{size}", "norm": op, "hidden": size, "in_bits": act}))
        elif op in ("gelu", "silu", "tanh"):  # any elementwise function is a table in the activation unit
            out.append({"kind": "activation", "name": f"{op}_{size}", "function": op, "in_bits": act})
        elif op == "relu":
            out.append({"kind": "clamp", "name": f"relu_{size}", "bits": act, "signed": True, "lo": 0})
        else:
            out.append({"kind": op, "name": f"{op}_{size}", "size": size,
                        "reason": f"no block kind implements {op!r}"})
    fused_acts = sorted({op.split(":", 1)[1] for g in profile.fused if g.pattern == "gemm_epilogue"
                         for op in g.ops if op.startswith("act:")} & {"gelu", "silu", "tanh"})
    for arr in arrays:
        acc_in = next((b for b in _REQUANT_IN if b >= arr.acc_bits), _REQUANT_IN[-1])
        out.append({"kind": "requant", "name": f"requant_{acc_in}to{arr.in_bits}", "in_bits": acc_in,
                    "out_bits": arr.in_bits, "lanes": arr.cols})
        # the graph's GEMM -> activation chains: the array with its requantiser and activation on chip
        for fn in fused_acts:
            out.append({"kind": "gemm_epilogue", "name": f"gemm_{arr.rows}x{arr.cols}_int{arr.in_bits}_{fn}",
                        "gemm": {"rows": arr.rows, "cols": arr.cols, "k": arr.k_tile, "in_bits": arr.in_bits,
                                 "acc_bits": acc_in, "signed": True, "dataflow": arr.dataflow or dataflow},
                        "requant": {"lanes": arr.cols, "in_bits": acc_in, "out_bits": arr.in_bits},
                        "activation": {"lanes": arr.cols, "function": fn, "in_bits": arr.in_bits}})
    return out


def searched_array(gemms: list[GemmOp], in_bits: int, budget: DesignBudget,
                   progress: Callable[[str], None] | None = None, ray_address: str | None = None) -> ArrayChoice:
    """The array shape and dataflow (one per array: the template has one) with the fewest cycles, stalls included,
    over ``gemms`` by ZigZag under the budget's SRAM and DRAM bandwidth; the K tile as ``choose_array`` sets it.
    With ``ray_address`` each candidate array's evaluation is a Ray task (``accelsmith.fanout``)."""
    from accelsmith.model_opt._dataflow import DATAFLOWS, Budget

    candidates = []
    for rows, cols in candidate_arrays(budget.pe_budget, budget.max_dim, min_dim=4):
        base = best_k_tile(gemms, in_bits, rows, cols, budget.buffer_bytes)
        if base is not None:
            candidates.append((base, Budget(rows=rows, cols=cols, sram_bytes=budget.buffer_bytes,
                                            dram_bytes_per_cycle=budget.dram_bytes_per_cycle)))
    if ray_address:
        from accelsmith.fanout import fan_out

        finished: list[dict] = []

        def tick(per_df: dict) -> None:
            finished.append(per_df)
            if progress:
                progress(f"array {len(finished)} of {len(candidates)} searched (Ray)")

        figures = fan_out(array_figures, [(gemms, in_bits, hw) for _, hw in candidates], None,
                          ray_address=ray_address, progress=tick)
    else:
        figures = [array_figures(gemms, in_bits, hw, progress) for _, hw in candidates]
    best: tuple[int, float] | None = None
    chosen: ArrayChoice | None = None
    for (base, _), per_df in zip(candidates, figures):
        df = min(DATAFLOWS, key=lambda d: (per_df[d]["cycles"], per_df[d]["energy_pj"]))
        key = (per_df[df]["cycles"], per_df[df]["energy_pj"])
        if best is None or key < best:
            best = key
            chosen = base.model_copy(update={"dataflow": df, "search": {
                "engine": "zigzag", "sram_bytes": budget.buffer_bytes,
                "dram_bytes_per_cycle": budget.dram_bytes_per_cycle, **{k: round(v) for k, v in per_df[df].items()},
                "cycles_per_dataflow": {d: round(v["cycles"]) for d, v in per_df.items()}}})
    if chosen is None:
        raise BudgetError(f"buffer budget {budget.buffer_bytes!r} bytes cannot hold one tile of any array of "
                          f"{budget.pe_budget} PEs")
    return chosen


def array_figures(gemms: list[GemmOp], in_bits: int, hw, progress: Callable[[str], None] | None = None
                  ) -> dict[str, dict[str, float]]:
    """Per dataflow, ``gemms``' total cycles, stall cycles, DRAM bytes and energy on the array ``hw``
    (``_dataflow.Budget``) by ZigZag: one candidate of ``searched_array``, one unit of work."""
    from accelsmith.model_opt._dataflow import DATAFLOWS, evaluate

    per_df = {df: {"cycles": 0, "stall_cycles": 0, "dram_bytes": 0, "energy_pj": 0.0} for df in DATAFLOWS}
    for g in gemms:
        if progress:
            progress(f"{hw.rows}x{hw.cols} {g.name}")
        op = g.model_copy(update={"a_bits": in_bits, "w_bits": in_bits})  # the array's operand width
        for df in DATAFLOWS:
            o = evaluate(op, hw, df)
            for figure in per_df[df]:
                per_df[df][figure] += getattr(o, figure)
    return per_df


def derive_constraints(profile: WorkloadProfile, budget: DesignBudget | None = None,
                       progress: Callable[[str], None] | None = None,
                       ray_address: str | None = None) -> DesignConstraints:
    """Block specs for ``profile`` under ``budget``; with ``budget.dram_bytes_per_cycle`` set, each GEMM array's
    shape and dataflow come from the dataflow search (``searched_array``; its candidates as Ray tasks with
    ``ray_address``), else from ``choose_array``'s formula."""
    budget = budget or DesignBudget()
    groups: dict[int, list[GemmOp]] = {}
    notes = []
    # the decoding schedule's draft and verify passes and a cascade's earlier models run on the same arrays
    served = [*profile.gemms, *(profile.decoding.gemms if profile.decoding else []),
              *(g for stage in profile.cascade_before for g in stage.gemms)]
    for g in served:
        groups.setdefault(operand_bits(g, budget), []).append(g)
    if any(max(g.w_bits, g.a_bits) > 8 for g in served):
        notes.append(f"floating-point operands mapped to int{budget.unquantised_bits}")
    if budget.dram_bytes_per_cycle is None:
        arrays = [choose_array(gs, bits, budget.pe_budget, budget.buffer_bytes, budget.max_dim)
                  for bits, gs in sorted(groups.items())]
    else:
        arrays = [searched_array(gs, bits, budget, progress, ray_address) for bits, gs in sorted(groups.items())]
        notes.append(f"arrays and dataflows chosen by the dataflow search (ZigZag) under {budget.buffer_bytes} B of "
                     f"SRAM and {budget.dram_bytes_per_cycle} B/cycle of DRAM bandwidth")
    blocks = []
    for a, (_, gs) in zip(arrays, sorted(groups.items())):
        block = {"kind": "gemm", "name": f"gemm_{a.rows}x{a.cols}_int{a.in_bits}", "rows": a.rows, "cols": a.cols,
                 "k": a.k_tile, "in_bits": a.in_bits, "acc_bits": a.acc_bits, "signed": True,
                 "dataflow": a.dataflow or budget.dataflow}
        if block["dataflow"] == "weight_stationary":  # all of a GEMM's rows through each weight fold
            block["m"] = ws_job_rows(gs, a.rows, a.cols, a.k_tile)
        blocks.append(block)
    pending = []
    kinds = set(known_kinds())
    for cand in _vector_candidates(profile, arrays, budget.dataflow, budget.dram_bytes_per_cycle):
        if "reason" in cand or cand["kind"] not in kinds:
            pending.append({"reason": f"block kind {cand['kind']!r} not registered", **cand})
            continue
        try:
            spec_from_dict(cand)
        except ValueError as err:
            pending.append({**cand, "reason": str(err).splitlines()[0]})
            continue
        blocks.append(cand)
    if any(b["kind"] == "requant" for b in blocks):
        notes.append("requant multipliers/shifts are the spec defaults: the profile carries no scales")
    return DesignConstraints(model=profile.model, budget=budget, arrays=arrays, blocks=blocks,
                             pending=pending, notes=notes)


def specs_from_profile(profile_path: str | Path, budget: DesignBudget | None = None,
                       ray_address: str | None = None) -> list[BlockSpec]:
    """Entry for ``accelsmith design --from-profile``: the profile's block specs under a budget."""
    return derive_constraints(load_profile(profile_path), budget, ray_address=ray_address).to_block_specs()
