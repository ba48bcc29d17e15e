"""WorkloadProfile -> DesignConstraints -> BlockSpecs for the design flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accelsmith.model_opt._array import ArrayChoice, choose_array
from accelsmith.model_opt._profile import GemmOp, WorkloadProfile, load_profile
from accelsmith.spec import BlockSpec, known_kinds, spec_from_dict


class DesignBudget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pe_budget: int = Field(1024, ge=1, description="processing elements per GEMM array")
    buffer_bytes: int = Field(256 * 1024, ge=1, description="on-chip bytes for one job's tiles")
    max_dim: int = Field(64, ge=1, le=64, description="largest rows/cols a GemmSpec allows")
    unquantised_bits: int = Field(8, description="operand bits assumed for layers left in floating point")
    dataflow: str = "output_stationary"


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
    """GemmSpec width for a GEMM: both operands share one width, 4 or 8."""
    bits = max(g.w_bits, g.a_bits)
    if bits > 8:
        bits = budget.unquantised_bits
    return 4 if bits <= 4 else 8


_REQUANT_IN = (16, 24, 32)  # RequantSpec.in_bits choices


def _vector_candidates(profile: WorkloadProfile, arrays: list[ArrayChoice]) -> list[dict[str, Any]]:
    """Non-GEMM blocks, each written in its spec class's own fields; a kind with no block goes to ``pending``.

    softmax length = the longest key sequence; attention tile: head_dim and seq_len = kv_len (one tile serves
    every head in turn); norm ``hidden`` = the normalised size; activations are elementwise (one spec per
    function); relu is the clamp unit at [0, max]; each GEMM array gets a requantiser from its accumulator
    width (the next of 16/24/32 bits) to its operand width, one lane per column.
    """
    act = min(profile.act_bits, 8)
    out: list[dict[str, Any]] = []
    if profile.attention:
        seq = max(a.kv_len for a in profile.attention)
        out.append({"kind": "softmax", "name": f"softmax_len{seq}", "length": seq, "in_bits": act})
        for head_dim, kv_len, tower in sorted({(x.head_dim, x.kv_len, x.tower) for x in profile.attention}):
            out.append({"kind": "attention", "name": f"attention_{tower}_d{head_dim}_s{kv_len}",
                        "head_dim": head_dim, "seq_len": kv_len})
    for op, size in sorted({(v.op, v.size) for v in profile.vectors if v.op != "softmax"}):
        if op in ("layernorm", "rmsnorm"):
            out.append({"kind": "norm", "name": f"{op}_{size}", "norm": op, "hidden": size, "in_bits": act})
        elif op in ("gelu", "silu", "tanh"):  # any elementwise function is a table in the activation unit
            out.append({"kind": "activation", "name": f"{op}_{size}", "function": op, "in_bits": act})
        elif op == "relu":
            out.append({"kind": "clamp", "name": f"relu_{size}", "bits": act, "signed": True, "lo": 0})
        else:
            out.append({"kind": op, "name": f"{op}_{size}", "size": size,
                        "reason": f"no block kind implements {op!r}"})
    for arr in arrays:
        acc_in = next((b for b in _REQUANT_IN if b >= arr.acc_bits), _REQUANT_IN[-1])
        out.append({"kind": "requant", "name": f"requant_{acc_in}to{arr.in_bits}", "in_bits": acc_in,
                    "out_bits": arr.in_bits, "lanes": arr.cols})
    return out


def derive_constraints(profile: WorkloadProfile, budget: DesignBudget | None = None) -> DesignConstraints:
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
    arrays = [choose_array(gs, bits, budget.pe_budget, budget.buffer_bytes, budget.max_dim)
              for bits, gs in sorted(groups.items())]
    blocks = [{"kind": "gemm", "name": f"gemm_{a.rows}x{a.cols}_int{a.in_bits}", "rows": a.rows, "cols": a.cols,
               "k": a.k_tile, "in_bits": a.in_bits, "acc_bits": a.acc_bits, "signed": True,
               "dataflow": budget.dataflow} for a in arrays]
    pending = []
    kinds = set(known_kinds())
    for cand in _vector_candidates(profile, arrays):
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


def specs_from_profile(profile_path: str | Path, budget: DesignBudget | None = None) -> list[BlockSpec]:
    """Entry for ``accelsmith design --from-profile``: the profile's block specs under a budget."""
    return derive_constraints(load_profile(profile_path), budget).to_block_specs()
