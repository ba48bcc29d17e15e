"""The ``compress_`` verb: one typed config in, one registered handler runs; no kind chains."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict
from torch import nn

from accelsmith.model_opt._errors import ModelOptError
from accelsmith.model_opt._state import opt_state

Handler = Callable[[nn.Module, Any, list[dict[str, torch.Tensor]]], dict[str, Any]]
_HANDLERS: dict[type, Handler] = {}


class CompressConfig(BaseModel):
    """Base of every compression config: small, frozen, validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def register_handler(config_type: type[CompressConfig]) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        _HANDLERS[config_type] = fn
        return fn
    return deco


def known_configs() -> list[str]:
    _load_builtin_handlers()
    return sorted(t.__name__ for t in _HANDLERS)


def _load_builtin_handlers() -> None:
    # each config module registers its handler on import; the package itself loads lazily
    import accelsmith.model_opt._lora  # noqa: F401
    import accelsmith.model_opt._prune  # noqa: F401
    import accelsmith.model_opt._quantize  # noqa: F401


def as_batches(calib: Iterable[Any] | None) -> list[dict[str, torch.Tensor]]:
    """Calibration data as model kwargs; a bare tensor is taken as ``input_ids``."""
    if calib is None:
        return []
    return [b if isinstance(b, dict) else {"input_ids": b} for b in calib]


def compress_(model: nn.Module, config: CompressConfig, calib: Iterable[Any] | None = None) -> dict[str, Any]:
    """Apply ``config`` to ``model`` in place; returns the handler's report (bits, sizes, scores)."""
    _load_builtin_handlers()
    handler = _HANDLERS.get(type(config))
    if handler is None:
        raise ModelOptError(f"unknown compression config {type(config).__name__!r}; known: {', '.join(known_configs())}")
    report = handler(model, config, as_batches(calib))
    opt_state(model)["steps"].append(type(config).__name__)
    return report


@torch.no_grad()
def run_batches(model: nn.Module, batches: list[dict[str, torch.Tensor]]) -> None:
    """Forward every calibration batch (hooks do the measuring)."""
    model.eval()
    dev = next(model.parameters()).device
    for b in batches:
        model(**{k: v.to(dev) for k, v in b.items()})
