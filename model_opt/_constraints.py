"""WorkloadProfile -> DesignConstraints -> BlockSpecs for the design flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accelsmith.model_opt._array import ArrayChoice, choose_array
from accelsmith.model_opt._profile import GemmOp, WorkloadProfile, load_profile
from accelsmith.spec import BlockSpec, known_kinds, spec_class, spec_from_dict


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


def _vector_candidates(profile: WorkloadProfile, arrays: list[ArrayChoice]) -> list[dict[str, Any]]:
    """Non-GEMM blocks with synonyms for their size fields; only fields the spec class declares are kept."""
    act = min(profile.act_bits, 8) if profile.act_bits <= 8 else 8
    out: list[dict[str, Any]] = []
    if profile.attention:
        seq = max(a.kv_len for a in profile.attention)
        out.append({"kind": "softmax", "name": f"softmax_len{seq}", "length": seq, "vector_length": seq,
                    "seq_len": seq, "n": seq, "size": seq, "in_bits": act})
        for a in {(x.heads, x.kv_heads, x.head_dim, x.q_len, x.tower) for x in profile.attention}:
            out.append({"kind": "attention", "name": f"attention_{a[4]}_h{a[0]}kv{a[1]}d{a[2]}",
                        "heads": a[0], "num_heads": a[0], "kv_heads": a[1], "num_kv_heads": a[1],
                        "head_dim": a[2], "seq_len": a[3], "length": a[3], "in_bits": act})
    for op, size in sorted({(v.op, v.size) for v in profile.vectors if v.op != "softmax"}):
        out.append({"kind": op, "name": f"{op}_{size}", "size": size, "length": size, "vector_length": size,
                    "hidden_size": size, "n": size, "in_bits": act})
    for arr in arrays:
        out.append({"kind": "requant", "name": f"requant_{arr.acc_bits}to{arr.in_bits}", "in_bits": arr.acc_bits,
                    "acc_bits": arr.acc_bits, "out_bits": arr.in_bits, "lanes": arr.cols})
    return out


def _fit_to_class(candidate: dict[str, Any]) -> dict[str, Any]:
    fields = spec_class(candidate["kind"]).model_fields
    return {"kind": candidate["kind"], **{k: v for k, v in candidate.items() if k in fields}}


def derive_constraints(profile: WorkloadProfile, budget: DesignBudget | None = None) -> DesignConstraints:
    budget = budget or DesignBudget()
    groups: dict[int, list[GemmOp]] = {}
    notes = []
    for g in profile.gemms:
        groups.setdefault(operand_bits(g, budget), []).append(g)
    if any(max(g.w_bits, g.a_bits) > 8 for g in profile.gemms):
        notes.append(f"floating-point operands mapped to int{budget.unquantised_bits}")
    arrays = [choose_array(gs, bits, budget.pe_budget, budget.buffer_bytes, budget.max_dim)
              for bits, gs in sorted(groups.items())]
    blocks = [{"kind": "gemm", "name": f"gemm_{a.rows}x{a.cols}_int{a.in_bits}", "rows": a.rows, "cols": a.cols,
               "k": a.k_tile, "in_bits": a.in_bits, "acc_bits": a.acc_bits, "signed": True,
               "dataflow": budget.dataflow} for a in arrays]
    pending = []
    kinds = set(known_kinds())
    for cand in _vector_candidates(profile, arrays):
        if cand["kind"] not in kinds:
            pending.append({**cand, "reason": f"block kind {cand['kind']!r} not registered"})
            continue
        fitted = _fit_to_class(cand)
        try:
            spec_from_dict(fitted)
        except ValueError as err:
            pending.append({**cand, "reason": str(err).splitlines()[0]})
            continue
        blocks.append(fitted)
    return DesignConstraints(model=profile.model, budget=budget, arrays=arrays, blocks=blocks,
                             pending=pending, notes=notes)


def specs_from_profile(profile_path: str | Path, budget: DesignBudget | None = None) -> list[BlockSpec]:
    """Entry for ``accelsmith design --from-profile``: the profile's block specs under a budget."""
    return derive_constraints(load_profile(profile_path), budget).to_block_specs()
