"""Graph-level operator fusion: capture a model's graph with ``torch.export``, find the chains an accelerator can
keep on chip, and count the DRAM bytes each saves.

The graph is ATen-level. Layout ops (view, transpose, reshape, dropout at inference, dtype casts) move no data on
the accelerator and are looked through; a normalisation module (LayerNorm, RMSNorm: several ATen ops) is one op,
as it is one block in hardware. Every other op is one op: op by op, each reads its inputs from DRAM and writes its
output back, and a GEMM writes its accumulators (``acc_bits``), which a requantiser reads back and writes as
activations (``act_bits``). Fused groups:

- ``gemm_epilogue``: a GEMM, its requantiser and, where its only consumer is one, the activation (SwiGLU's
  ``act(gate) * up`` multiply joins too): the accelerator's ``gemm_epilogue`` block;
- ``gemm_requant``: a GEMM with no activation after it and its requantiser (the accumulators stay on chip);
- ``attention``: ``Q Kᵀ``, its scale, the mask add, softmax and ``· V`` (or one ``scaled_dot_product_attention``):
  the S x S scores never leave the chip (memory-efficient attention);
- ``residual_norm``: the residual add and the normalisation that reads it.

A group saves, per tensor passed inside it, the consumer's read and, when nothing outside the group reads it, the
producer's write. Bytes are elements x bits / 8 of the tensors the exported graph records (batch 1).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import torch
from torch import nn

from accelsmith.model_opt._errors import ModelOptError
from accelsmith.model_opt._profile import FusedGroup, LayerTraffic

_aten = torch.ops.aten
_LAYOUT = {"view", "_unsafe_view", "reshape", "transpose", "permute", "contiguous", "dropout", "unsqueeze", "squeeze",
           "expand", "clone", "to", "_to_copy", "alias", "detach", "t", "slice", "select", "lift_fresh_copy"}
_GEMM = {"linear", "matmul", "bmm", "mm", "addmm", "baddbmm"}
_ACT = {"gelu": "gelu", "silu": "silu", "relu": "relu", "tanh": "tanh"}
_SOFTMAX = {"softmax", "_softmax", "_safe_softmax"}
_SDPA = {"scaled_dot_product_attention", "_scaled_dot_product_flash_attention_for_cpu",
         "_scaled_dot_product_efficient_attention"}
_NOISE = {"_assert_tensor_metadata", "sym_size", "_assert_scalar", "sym_constrain_range_for_size"}
_LAYER = re.compile(r"(?:^|\.)(?:layer|layers|h|blocks|block)\.(\d+)(?:\.|$)")


def _base(node) -> str:
    t = node.target
    name = getattr(t, "__name__", str(t))  # "linear.default"
    return name.split(".")[0]


def _numel(node) -> int:
    v = node.meta.get("val")
    return int(v.numel()) if isinstance(v, torch.Tensor) else 0


@dataclass
class _Op:
    """One op as the accelerator runs it: ``nodes`` (a norm module's several), what it reads and writes."""

    id: int
    kind: str                       # gemm, act:<fn>, softmax, norm, sdpa, eltwise:<aten name>
    nodes: list = field(default_factory=list)
    inputs: list = field(default_factory=list)  # (producer op id or None for a graph input/parameter, elements, is_param)
    out_elems: int = 0
    layer: str = "model"
    name: str = ""
    consumers: set = field(default_factory=set)


@dataclass(frozen=True)
class Bits:
    act: int = 8
    weight: int = 8
    acc: int = 32


class FusionGraph:
    """The exported graph as ops with their DRAM traffic, and the fused groups found in it."""

    def __init__(self, ops: list[_Op], bits: Bits):
        self.ops, self.bits = ops, bits
        self.by_id = {o.id: o for o in ops}

    # -- traffic ------------------------------------------------------------------------------------------------------
    def _read(self, elems: int, is_param: bool) -> float:
        return elems * (self.bits.weight if is_param else self.bits.act) / 8

    def op_bytes(self, op: _Op) -> float:
        """Op by op: every input read, the output written (a GEMM's accumulators round-trip through a requantiser)."""
        total = sum(self._read(e, p) for _, e, p in op.inputs)
        if op.kind == "gemm":
            return total + op.out_elems * (2 * self.bits.acc + self.bits.act) / 8
        return total + op.out_elems * self.bits.act / 8

    def group_saving(self, members: list[int]) -> float:
        inside = set(members)
        saved = 0.0
        for oid in members:
            op = self.by_id[oid]
            if op.kind == "gemm":  # the accumulators stay on chip: no write + read at acc width
                saved += op.out_elems * 2 * self.bits.acc / 8
            for src, elems, is_param in op.inputs:
                if src in inside:
                    saved += self._read(elems, is_param)
            if op.consumers and op.consumers <= inside:
                saved += op.out_elems * self.bits.act / 8
        return saved

    # -- patterns -------------------------------------------------------------------------------------------------------
    def _only_consumer(self, op: _Op) -> _Op | None:
        return self.by_id[next(iter(op.consumers))] if len(op.consumers) == 1 else None

    def groups(self) -> list[tuple[str, list[int]]]:
        taken: set[int] = set()
        found: list[tuple[str, list[int]]] = []
        for op in self.ops:  # attention first: its GEMMs are not GEMM epilogues
            if op.kind == "sdpa":
                found.append(("attention", [op.id]))
                taken.add(op.id)
            elif op.kind == "softmax":
                chain = self._attention_chain(op)
                if chain and not taken & set(chain):
                    found.append(("attention", chain))
                    taken |= set(chain)
        for op in self.ops:
            if op.kind != "gemm" or op.id in taken:
                continue
            members = [op.id]
            nxt = self._only_consumer(op)
            if nxt is not None and nxt.kind.startswith("act:") and nxt.id not in taken:
                members.append(nxt.id)
                gate = self._only_consumer(nxt)
                if gate is not None and gate.kind == "eltwise:mul" and gate.id not in taken:
                    members.append(gate.id)
                found.append(("gemm_epilogue", members))
            else:
                found.append(("gemm_requant", members))
            taken |= set(members)
        for op in self.ops:
            if op.kind == "eltwise:add" and op.id not in taken and sum(1 for s, _, p in op.inputs if not p) == 2:
                norm = next((self.by_id[c] for c in sorted(op.consumers) if self.by_id[c].kind == "norm"), None)
                if norm is not None and norm.id not in taken:
                    found.append(("residual_norm", [op.id, norm.id]))
                    taken |= {op.id, norm.id}
        return found

    def _attention_chain(self, softmax: _Op) -> list[int] | None:
        """Back from softmax through scale / mask ops to a GEMM, forward to the GEMM that reads the probabilities."""
        chain = [softmax.id]
        cur = softmax
        for _ in range(4):
            srcs = [self.by_id[s] for s, _, _ in cur.inputs if s is not None]
            prev = next((s for s in srcs if s.kind == "gemm" or s.kind in ("eltwise:mul", "eltwise:div",
                                                                            "eltwise:add")), None)
            if prev is None:
                return None
            chain.insert(0, prev.id)
            if prev.kind == "gemm":
                break
            cur = prev
        else:
            return None
        after = self._only_consumer(softmax)
        if after is None or after.kind != "gemm":
            return None
        return chain + [after.id]


def capture(model: nn.Module, seq_len: int, bits: Bits | None = None) -> FusionGraph:
    """Export ``model`` (batch 1, ``seq_len`` tokens, inference) and list its ops with their traffic."""
    ids = torch.zeros(1, seq_len, dtype=torch.long)
    kwargs = {"input_ids": ids, "attention_mask": torch.ones(1, seq_len, dtype=torch.long)}
    if getattr(getattr(model, "config", None), "use_cache", False):
        kwargs["use_cache"] = False
    model.eval()
    # attention op by op (Q Kᵀ, scale, mask, softmax, · V), not one fused SDPA call: the chain is what is measured
    cfg = getattr(model, "config", None)
    was = getattr(cfg, "_attn_implementation", None)
    if was not in (None, "eager") and hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")
    try:
        with torch.no_grad():
            ep = torch.export.export(model, (), kwargs, strict=False)
    except Exception as err:  # export has many failure types; the user needs the first line
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelOptError(f"torch.export could not capture {type(model).__name__}: {first}") from None
    finally:
        if was not in (None, "eager") and hasattr(model, "set_attn_implementation"):
            model.set_attn_implementation(was)
    return _ops_of(ep, bits or Bits())


def _module_of(node) -> tuple[str, str]:
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return "", ""
    path, cls = list(stack.values())[-1]
    cls = cls if isinstance(cls, str) else getattr(cls, "__name__", str(cls))
    return path, cls.rsplit(".", 1)[-1]


def _unit_module(node) -> tuple[str, str] | None:
    """(path, kind) of the innermost module that runs as one op though it exports as several: a normalisation
    ("norm") or a packed quantised linear ("gemm": its activation fake-quantisation is the requantiser's job)."""
    for path, cls in reversed(list((node.meta.get("nn_module_stack") or {}).values())):
        name = (cls if isinstance(cls, str) else getattr(cls, "__name__", str(cls))).rsplit(".", 1)[-1].lower()
        if name.endswith(("layernorm", "rmsnorm")):
            return path, "norm"
        if name == "packedlinear":
            return path, "gemm"
    return None


def _ops_of(ep, bits: Bits) -> FusionGraph:
    graph = ep.graph_module.graph
    params = {spec.arg.name for spec in ep.graph_signature.input_specs
              if spec.kind.name in ("PARAMETER", "BUFFER", "CONSTANT_TENSOR")}
    source: dict = {}  # fx node -> op id or ("input"/"param") after looking through layout ops
    ops: list[_Op] = []
    unit_op: dict[str, _Op] = {}

    def resolve(n):
        return source.get(n, ("param" if n.name in params else "input"))

    for n in graph.nodes:
        if n.op == "placeholder":
            source[n] = "param" if n.name in params else "input"
            continue
        if n.op != "call_function":
            continue
        base = _base(n)
        if base in _NOISE:
            continue
        tensor_args = [a for a in n.all_input_nodes if isinstance(a.meta.get("val"), torch.Tensor)]
        if base in _LAYOUT or not isinstance(n.meta.get("val"), torch.Tensor):
            source[n] = resolve(tensor_args[0]) if tensor_args else "input"
            continue
        path, _ = _module_of(n)
        unit = _unit_module(n)
        if unit is not None and unit[0] in unit_op:
            op = unit_op[unit[0]]  # one more ATen op of the same norm or packed linear
        else:
            kind = (unit[1] if unit is not None else "gemm" if base in _GEMM else f"act:{_ACT[base]}" if base in _ACT
                    else "softmax" if base in _SOFTMAX else "sdpa" if base in _SDPA
                    else "norm" if base in ("layer_norm", "rms_norm") else f"eltwise:{base}")
            m = _LAYER.search(path)
            op = _Op(id=len(ops), kind=kind, layer=f"layer.{m.group(1)}" if m else "model",
                     name=unit[0] if unit is not None else path)
            ops.append(op)
            if unit is not None:
                unit_op[unit[0]] = op
        op.nodes.append(n)
        for a in tensor_args:
            src = resolve(a)
            if isinstance(src, int) and src == op.id:
                continue  # inside the same module
            elems = _numel(a)
            if isinstance(src, int):
                if any(s == src for s, _, _ in op.inputs):
                    continue
                ops[src].consumers.add(op.id)
                op.inputs.append((src, elems, False))
            else:
                op.inputs.append((None, elems, src == "param"))
        if base == "embedding":  # a lookup reads the rows it gathers, not the whole table
            op.inputs = [(src, min(elems, _numel(n)) if is_param else elems, is_param)
                         for src, elems, is_param in op.inputs]
        op.out_elems = _numel(n)
        source[n] = op.id
    if not ops:
        raise ModelOptError("the exported graph has no compute ops")
    return FusionGraph(ops, bits)


def fusion_report(fg: FusionGraph, model: str = "model") -> tuple[list[FusedGroup], list[LayerTraffic]]:
    """The fused groups (one row per pattern and shape, ``count`` of them) and bytes per layer with and without."""
    per_layer_unfused: dict[str, float] = defaultdict(float)
    per_layer_saved: dict[str, float] = defaultdict(float)
    for op in fg.ops:
        per_layer_unfused[op.layer] += fg.op_bytes(op)
    rows: dict[tuple, dict] = {}
    for pattern, members in fg.groups():
        ops = [fg.by_id[i] for i in members]
        saved = fg.group_saving(members)
        unfused = sum(fg.op_bytes(o) for o in ops)
        layer = ops[0].layer
        per_layer_saved[layer] += saved
        kinds = tuple(o.kind for o in ops)
        key = (pattern, kinds, ops[-1].out_elems, round(unfused))
        row = rows.setdefault(key, {"pattern": pattern, "ops": list(kinds), "out_elements": ops[-1].out_elems,
                                    "example": ops[0].name, "count": 0, "bytes_unfused": unfused,
                                    "bytes_fused": unfused - saved})
        row["count"] += 1
    groups = [FusedGroup(**r) for r in rows.values()]
    layers = [LayerTraffic(layer=k, bytes_unfused=round(v), bytes_fused=round(v - per_layer_saved[k]))
              for k, v in sorted(per_layer_unfused.items(), key=lambda kv: _layer_key(kv[0]))]
    return groups, layers


def _layer_key(name: str) -> tuple[int, int]:
    m = re.search(r"(\d+)$", name)
    return (0, int(m.group(1))) if m else (1, 0)


def with_fusion(profile, model: nn.Module, seq_len: int | None = None):
    """``profile`` with the fused groups and per-layer bytes of ``model``'s exported graph, at the profile's operand
    widths (activations ``act_bits``; weights the widest GEMM operand, at most the activation width's floor of 8)."""
    w_bits = max((g.w_bits for g in profile.gemms if g.op in ("linear", "conv")), default=profile.act_bits)
    bits = Bits(act=min(profile.act_bits, 32), weight=min(w_bits, 32), acc=32)
    groups, layers = fusion_report(capture(model, seq_len or profile.seq_len, bits), profile.model)
    return profile.model_copy(update={"fused": groups, "traffic": layers})


def traffic_table(profile) -> str:
    """Markdown: bytes moved per layer op by op and fused, then the fused groups."""
    rows = ["| layer | op by op (bytes) | fused (bytes) | saved |", "|---|---:|---:|---:|"]
    for t in profile.traffic:
        saved = 1 - t.bytes_fused / t.bytes_unfused if t.bytes_unfused else 0.0
        rows.append(f"| {t.layer} | {t.bytes_unfused:,} | {t.bytes_fused:,} | {saved:.1%} |")
    tot_u = sum(t.bytes_unfused for t in profile.traffic)
    tot_f = sum(t.bytes_fused for t in profile.traffic)
    if tot_u:
        rows.append(f"| all | {tot_u:,} | {tot_f:,} | {1 - tot_f / tot_u:.1%} |")
    rows += ["", "| pattern | ops | count | bytes op by op (each) | fused (each) | saved (all) | e.g. |",
             "|---|---|---:|---:|---:|---:|---|"]
    for g in sorted(profile.fused, key=lambda g: -g.saved):
        rows.append(f"| {g.pattern} | {' -> '.join(g.ops)} | {g.count} | {g.bytes_unfused:,.0f} | {g.bytes_fused:,.0f} "
                    f"| {g.saved:,.0f} | {g.example} |")
    return "\n".join(rows) + "\n"
