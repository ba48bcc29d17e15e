"""Offline model loading (local folder, hub cache id, GGUF file) and saving/reloading compressed models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from accelsmith.model_opt._errors import ModelLoadError
from accelsmith.model_opt._packed_linear import PackedLinear
from accelsmith.model_opt._state import opt_state

MANIFEST = "accelsmith_manifest.json"


def _model_class(config: Any):
    import transformers as tf

    if getattr(config, "vision_config", None) is not None:
        return tf.AutoModelForImageTextToText
    if any(a.endswith("ForCausalLM") for a in (getattr(config, "architectures", None) or [])):
        return tf.AutoModelForCausalLM
    return tf.AutoModel


def load_model(source: str | Path, gguf_file: str | None = None, dtype: torch.dtype = torch.float32,
               causal_lm: bool = False) -> tuple[nn.Module, Any]:
    """(model, tokenizer or processor) from a folder, a ``.gguf`` file or a hub id already in the cache.
    ``causal_lm`` asks for the model with its LM head (a GGUF file's config names no architecture, so it would
    otherwise load as the bare base model)."""
    import transformers as tf

    src = Path(source)
    if src.suffix == ".gguf" and src.is_file():
        src, gguf_file = src.parent, src.name
    if (src / MANIFEST).is_file():
        return load_compressed(src)
    where = str(src) if src.exists() else str(source)
    kw: dict[str, Any] = {"local_files_only": True, **({"gguf_file": gguf_file} if gguf_file else {})}
    try:
        config = tf.AutoConfig.from_pretrained(where, **kw)
        cls = tf.AutoModelForCausalLM if causal_lm else _model_class(config)
        model = cls.from_pretrained(where, dtype=dtype, **kw)
    except (OSError, ValueError) as err:
        raise ModelLoadError(f"cannot load model {str(source)!r} offline: {str(err).splitlines()[0]}") from None
    if getattr(config, "vision_config", None) is not None:
        try:
            return model.eval(), tf.AutoProcessor.from_pretrained(where, **kw)
        except (OSError, ValueError, TypeError):
            pass
    return model.eval(), _tokenizer(where, kw)


def _tokenizer(where: str, kw: dict[str, Any]) -> Any:
    """AutoTokenizer, or the folder's tokenizer.json when AutoTokenizer (chosen by model_type) encodes nothing."""
    import transformers as tf

    for cls in (tf.AutoTokenizer, tf.PreTrainedTokenizerFast):
        try:
            tok = cls.from_pretrained(where, **kw)
        except (OSError, ValueError, TypeError):
            continue
        if tok("def f(x): return x", add_special_tokens=False)["input_ids"]:
            return tok
    return None  # a model without a tokenizer still compresses; calibration then needs token ids


def save_compressed(model: nn.Module, out: Path, processor: Any = None) -> Path:
    """config.json + model.safetensors (packed codes, scales) + a manifest that rebuilds pruned/packed shapes."""
    from safetensors.torch import save_model

    out.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(out)
    save_model(model, str(out / "model.safetensors"))
    st = opt_state(model)
    shapes = {n: [m.in_features, m.out_features, m.bias is not None] for n, m in model.named_modules()
              if isinstance(m, (nn.Linear, PackedLinear))}
    manifest = {"class": type(model).__name__, "act_bits": st["act_bits"], "pruned": st["pruned"],
                "attrs": st.get("attrs", {}), "quant": st["quant"], "linear_shapes": shapes, "steps": st["steps"]}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    if processor is not None:
        processor.save_pretrained(out)
    return out


def load_compressed(path: Path) -> tuple[nn.Module, Any]:
    """Rebuild the model from its config, reshape pruned/packed layers per the manifest, load the tensors."""
    import transformers as tf
    from safetensors.torch import load_model

    man = json.loads((path / MANIFEST).read_text())
    config = tf.AutoConfig.from_pretrained(path, local_files_only=True)
    cls = getattr(tf, man["class"], None)
    model = cls(config) if cls is not None else _model_class(config).from_config(config)
    for name, (fin, fout, bias) in man["linear_shapes"].items():
        q = man["quant"].get(name)
        new = (PackedLinear(fin, fout, [tuple(s) for s in q["segments"]], q["group_size"], q["a_bits"], bias)
               if q else nn.Linear(fin, fout, bias=bias))
        parent, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent) if parent else model, child, new)
    for name, attrs in man["attrs"].items():
        for a, v in attrs.items():
            setattr(model.get_submodule(name), a, v)
    load_model(model, str(path / "model.safetensors"), strict=True)
    st = opt_state(model)
    st.update({"act_bits": man["act_bits"], "pruned": man["pruned"], "attrs": man["attrs"], "quant": man["quant"],
               "steps": man["steps"]})
    return model.eval(), _tokenizer(str(path), {"local_files_only": True})
