"""Static workload extraction: walk the module tree and list every matmul, norm and activation."""

from __future__ import annotations

from torch import nn

from accelsmith.model_opt._profile import (AttentionShape, CascadeStage, DecodingShapes, GemmOp, PrunedDim, VectorOp,
                                           WorkloadProfile)
from accelsmith.model_opt._state import dtype_bits, opt_state

_VISION_KEYS = ("vision_tower", "vision_model", "visual", "image_encoder")
_PROJECTOR_KEYS = ("multi_modal_projector", "mm_projector", "projector")
_ACTIVATIONS = {"gelu": "gelu", "silu": "silu", "swish": "silu", "relu": "relu", "tanh": "tanh"}
_ACT_INPUTS = ("gate_proj", "fc1", "dense", "up_proj", "linear_1", "c_fc")
_QKV = (("q_proj", "k_proj"), ("query", "key"))


def tower_of(name: str) -> str:
    parts = name.split(".")
    if any(k in parts for k in _VISION_KEYS):
        return "vision"
    if any(k in parts for k in _PROJECTOR_KEYS):
        return "projector"
    return "text"


def _is_linear(mod: nn.Module) -> bool:
    return isinstance(mod, nn.Linear) or getattr(mod, "is_packed_linear", False)


def _vision_cls_token(model: nn.Module) -> int:
    # CLIP-style towers prepend one class token to the patch tokens.
    return int(any(n.endswith("class_embedding") for n, _ in model.named_parameters()))


def _tokens(name: str, seq_len: int, image_tokens: int, cls_tokens: int) -> int:
    if "pooler" in name.split("."):
        return 1  # the pooler sees only the first token
    tower = tower_of(name)
    if tower == "vision":
        return image_tokens + cls_tokens if image_tokens else 0
    return image_tokens if tower == "projector" else seq_len


def _act_kind(mod: nn.Module) -> str | None:
    cls = type(mod).__name__.lower()
    for key, kind in _ACTIVATIONS.items():
        if key in cls:
            return kind
    return None


def extract_profile(model: nn.Module, seq_len: int, image_tokens: int = 0, name: str = "model") -> WorkloadProfile:
    """Every GEMM's M, N, K (prefill of ``seq_len`` tokens, ``image_tokens`` of them from images)."""
    state = opt_state(model)
    fp_bits = dtype_bits(model)
    act_bits = state["act_bits"] or fp_bits
    cls_tokens = _vision_cls_token(model)
    gemms, attention, vectors = [], [], []
    modules = list(model.named_modules(remove_duplicate=False))
    for mname, mod in modules:
        tokens = _tokens(mname, seq_len, image_tokens, cls_tokens)
        tower = tower_of(mname)
        if tokens == 0:
            continue  # no images: the vision tower and projector do not run
        if _is_linear(mod):
            a_bits = getattr(mod, "a_bits", None) or fp_bits
            gemms.append(GemmOp(name=mname, op="linear", tower=tower, m=tokens, n=mod.out_features,
                                k=mod.in_features, w_bits=getattr(mod, "w_bits", fp_bits), a_bits=a_bits))
        elif isinstance(mod, nn.Conv2d):
            k = mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1] // mod.groups
            gemms.append(GemmOp(name=mname, op="conv", tower=tower, m=max(tokens - cls_tokens, 1),
                                n=mod.out_channels, k=k, w_bits=fp_bits, a_bits=fp_bits))
        elif _attention_linears(mod) is not None:
            shape = _attention_shape(mname, mod, tower, tokens)
            attention.append(shape)
            common = dict(tower=tower, count=shape.heads, w_bits=act_bits, a_bits=act_bits)
            gemms.append(GemmOp(name=f"{mname}.qk", op="attention_qk", m=tokens, n=tokens,
                                k=shape.head_dim, **common))
            gemms.append(GemmOp(name=f"{mname}.av", op="attention_av", m=tokens, n=shape.head_dim,
                                k=tokens, **common))
            vectors.append(VectorOp(name=f"{mname}.softmax", op="softmax", tower=tower, size=tokens,
                                    rows=shape.heads * tokens))
        elif (norm := _norm_kind(mod)) is not None and getattr(mod, "weight", None) is not None:
            vectors.append(VectorOp(name=mname, op=norm, tower=tower, size=mod.weight.numel(), rows=tokens))
        elif (kind := _act_kind(mod)) is not None:
            size = _activation_size(model, mname)
            if size:
                vectors.append(VectorOp(name=mname, op=kind, tower=tower, size=size, rows=tokens))
    cfg = getattr(model, "config", None)
    text_cfg = getattr(cfg, "text_config", None) or cfg
    return WorkloadProfile(
        model=name, model_type=str(getattr(cfg, "model_type", type(model).__name__)), seq_len=seq_len,
        image_tokens=image_tokens, hidden_size=int(getattr(text_cfg, "hidden_size", 0) or 1), act_bits=act_bits,
        gemms=gemms, attention=attention, vectors=vectors,
        pruned=[PrunedDim(**p) for p in state["pruned"]])


def _norm_kind(mod: nn.Module) -> str | None:
    cls = type(mod).__name__.lower()
    if "rmsnorm" in cls:
        return "rmsnorm"
    if isinstance(mod, nn.LayerNorm) or cls.endswith("layernorm"):
        return "layernorm"
    return None


def _attention_linears(mod: nn.Module) -> tuple[nn.Module, nn.Module] | None:
    for q, k in _QKV:
        qm, km = getattr(mod, q, None), getattr(mod, k, None)
        if qm is not None and km is not None and _is_linear(qm) and _is_linear(km):
            return qm, km
    return None


def head_dim_of(mod: nn.Module) -> int:
    """Head size of an attention module (HF names it ``head_dim`` or ``attention_head_size``)."""
    for attr in ("head_dim", "attention_head_size"):
        if isinstance(getattr(mod, attr, None), int):
            return getattr(mod, attr)
    cfg = mod.config
    return getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads


def _attention_shape(name: str, mod: nn.Module, tower: str, tokens: int) -> AttentionShape:
    q, k = _attention_linears(mod)
    hd = head_dim_of(mod)
    return AttentionShape(name=name, tower=tower, heads=q.out_features // hd, kv_heads=k.out_features // hd,
                          head_dim=hd, q_len=tokens, kv_len=tokens)


def _activation_size(model: nn.Module, name: str) -> int:
    parent_name = name.rsplit(".", 1)[0] if "." in name else ""
    parent = model.get_submodule(parent_name)
    for child in _ACT_INPUTS:
        lin = getattr(parent, child, None)
        if lin is not None and _is_linear(lin):
            return lin.out_features
    return 0


def _decode_gemms(model: nn.Module, q_len: int, context: int, name: str, passes: int = 1
                  ) -> tuple[list[GemmOp], list[AttentionShape]]:
    """The GEMMs of one pass of ``q_len`` new tokens attending over ``context`` cached tokens (plus themselves)."""
    kv = context + q_len
    prof = extract_profile(model, q_len, name=name)
    gemms = []
    for g in prof.gemms:
        if g.op == "attention_qk":
            g = g.model_copy(update={"n": kv})
        elif g.op == "attention_av":
            g = g.model_copy(update={"k": kv})
        gemms.append(g.model_copy(update={"count": g.count * passes}) if passes > 1 else g)
    return gemms, [a.model_copy(update={"kv_len": kv}) for a in prof.attention]


def decoding_shapes(target: nn.Module, draft_tokens: int, context: int, draft: nn.Module | None = None,
                    draft_name: str | None = None) -> DecodingShapes:
    """The shapes of one speculative decoding step after ``context`` tokens: ``draft_tokens`` single-token passes of
    ``draft`` (None: prompt lookup, no model), then the target's verify pass over draft_tokens + 1 tokens."""
    verify, attention = _decode_gemms(target, draft_tokens + 1, context, "target")
    drafted: list[GemmOp] = []
    if draft is not None:
        drafted, _ = _decode_gemms(draft, 1, context, draft_name or "draft", passes=draft_tokens)
    return DecodingShapes(method="draft_model" if draft is not None else "prompt_lookup", draft_model=draft_name,
                          draft_tokens=draft_tokens, verify_gemms=verify, draft_gemms=drafted,
                          verify_attention=attention)


def cascade_stage(model: nn.Module, seq_len: int, name: str) -> CascadeStage:
    prof = extract_profile(model, seq_len, name=name)
    return CascadeStage(model=name, params=sum(p.numel() for p in model.parameters()), macs=prof.total_macs,
                        gemms=prof.gemms)
