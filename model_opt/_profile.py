"""WorkloadProfile: the shapes and bit widths a compressed model asks of the accelerator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accelsmith.model_opt._errors import ModelOptError

PROFILE_SCHEMA_VERSION = 1

Tower = Literal["text", "vision", "projector"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GemmOp(_Frozen):
    """C[m][n] = A[m][k] x B[k][n], repeated ``count`` times (e.g. once per attention head)."""

    name: str
    op: Literal["linear", "conv", "attention_qk", "attention_av"]
    tower: Tower = "text"
    m: int = Field(ge=1, description="output rows (tokens)")
    n: int = Field(ge=1, description="output columns (features)")
    k: int = Field(ge=1, description="reduction length")
    count: int = Field(1, ge=1)
    w_bits: int = Field(ge=1, le=32, description="bits of the B operand (weights, or keys/values)")
    a_bits: int = Field(ge=1, le=32, description="bits of the A operand (activations)")

    @property
    def macs(self) -> int:
        return self.m * self.n * self.k * self.count


class AttentionShape(_Frozen):
    name: str
    tower: Tower = "text"
    heads: int = Field(ge=1)
    kv_heads: int = Field(ge=1)
    head_dim: int = Field(ge=1)
    q_len: int = Field(ge=1)
    kv_len: int = Field(ge=1)


class VectorOp(_Frozen):
    """An elementwise or row-wise op (norm, activation, softmax) over ``rows`` vectors of ``size``."""

    name: str
    op: Literal["layernorm", "rmsnorm", "gelu", "silu", "relu", "tanh", "softmax"]
    tower: Tower = "text"
    size: int = Field(ge=1)
    rows: int = Field(ge=1)


class PrunedDim(_Frozen):
    name: str
    dim: Literal["mlp_channels", "attention_heads"]
    original: int = Field(ge=1)
    kept: int = Field(ge=1)


class DecodingShapes(_Frozen):
    """The GEMMs of the decoding schedule a recipe names (speculative decoding): each step the drafter proposes
    ``draft_tokens`` tokens one at a time (the draft model's GEMMs at M = 1), then the target checks them all in one
    pass (its GEMMs at M = draft_tokens + 1, attending over the context). ``count`` of a draft GEMM includes the
    ``draft_tokens`` passes per step."""

    method: Literal["draft_model", "prompt_lookup"]
    draft_model: str | None = None
    draft_tokens: int = Field(ge=1)
    verify_gemms: list[GemmOp]
    draft_gemms: list[GemmOp] = []
    verify_attention: list[AttentionShape] = []

    @property
    def gemms(self) -> list[GemmOp]:
        return [*self.verify_gemms, *self.draft_gemms]


class CascadeStage(_Frozen):
    """A model that answers before this one in an inference cascade (``model_opt._cascade``): its GEMMs at the
    profile's sequence length run for every query; this model's only for the escalated share."""

    model: str
    params: int = Field(ge=0)
    macs: int = Field(ge=0)
    gemms: list[GemmOp]


class FusedGroup(_Frozen):
    """A chain of ops kept on chip (``model_opt._fusion``): ``count`` instances of one pattern and shape, with the
    DRAM bytes one instance moves op by op and fused."""

    pattern: Literal["gemm_epilogue", "gemm_requant", "attention", "residual_norm"]
    ops: list[str]
    out_elements: int = Field(ge=0)
    example: str = ""
    count: int = Field(1, ge=1)
    bytes_unfused: float = Field(ge=0)
    bytes_fused: float = Field(ge=0)

    @property
    def saved(self) -> float:
        return (self.bytes_unfused - self.bytes_fused) * self.count


class LayerTraffic(_Frozen):
    layer: str
    bytes_unfused: int = Field(ge=0)
    bytes_fused: int = Field(ge=0)


class InputChoice(_Frozen):
    """The input-side point chosen under a latency budget (``model_opt._inputs``): its settings (resolution, patch,
    stride, token reduction or sequence length), tokens, task accuracy and accelerator cycles."""

    tower: Tower
    point: str
    settings: dict[str, float]
    tokens: int = Field(ge=1)
    accuracy: float
    cycles: int = Field(ge=0)
    budget_cycles: int = Field(ge=0)
    front: list[dict] = []


class WorkloadProfile(_Frozen):
    """Everything the design side needs from a model, for one sequence length and image-token count."""

    schema_version: int = PROFILE_SCHEMA_VERSION
    model: str
    model_type: str
    seq_len: int = Field(ge=1)
    image_tokens: int = Field(0, ge=0)
    hidden_size: int = Field(ge=1)
    act_bits: int = Field(ge=1, le=32)
    gemms: list[GemmOp]
    attention: list[AttentionShape] = []
    vectors: list[VectorOp] = []
    pruned: list[PrunedDim] = []
    decoding: DecodingShapes | None = None
    cascade_before: list[CascadeStage] = []
    fused: list[FusedGroup] = []
    input_choice: InputChoice | None = None
    traffic: list[LayerTraffic] = []

    @property
    def total_macs(self) -> int:
        return sum(g.macs for g in self.gemms)

    def to_json_file(self, path: str | Path) -> Path:
        p = Path(path)
        p.write_text(self.model_dump_json(indent=2) + "\n")
        return p

    def to_scalesim_csv(self) -> str:
        """SCALE-Sim GEMM topology: header, then ``name, M, N, K,`` (its parser drops the last field)."""
        lines = ["Layer, M, N, K,"]
        for g in self.gemms:
            for i in range(g.count):
                suffix = f".{i}" if g.count > 1 else ""
                lines.append(f"{g.name}{suffix}, {g.m}, {g.n}, {g.k},")
        return "\n".join(lines) + "\n"


def load_profile(path: str | Path) -> WorkloadProfile:
    """Read a profile JSON; a missing or malformed file is a user mistake (one line)."""
    p = Path(path)
    if not p.is_file():
        raise ModelOptError(f"workload profile not found: {str(p)!r}")
    try:
        return WorkloadProfile.model_validate(json.loads(p.read_text()))
    except (json.JSONDecodeError, ValidationError) as err:
        first = str(err).splitlines()[0]
        raise ModelOptError(f"{str(p)!r} is not a WorkloadProfile: {first}") from None
