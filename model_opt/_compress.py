"""The ``compress_`` verb: one typed config in, one registered handler runs; no kind chains."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict
from torch import nn

from accelsmith.registry import Registry, importing
from accelsmith.model_opt._state import opt_state

Handler = Callable[[nn.Module, Any, list[dict[str, torch.Tensor]]], dict[str, Any]]


# keyed by the config class's name (a config's type is its identity); each config module registers its handler
# on import, loaded on the first lookup
HANDLERS: Registry[Handler] = Registry("compression config", load=importing(
                                           "accelsmith.model_opt._lora", "accelsmith.model_opt._prune",
                                           "accelsmith.model_opt._quantize"),
                                       key=lambda k: k if isinstance(k, str) else k.__name__)


class CompressConfig(BaseModel):
    """Base of every compression config: small, frozen, validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def register_handler(config_type: type[CompressConfig]) -> Callable[[Handler], Handler]:
    return HANDLERS.decorator(config_type)


def known_configs() -> list[str]:
    return HANDLERS.names()


def as_batches(calib: Iterable[Any] | None) -> list[dict[str, torch.Tensor]]:
    """Calibration data as model kwargs; a bare tensor is taken as ``input_ids``."""
    if calib is None:
        return []
    return [b if isinstance(b, dict) else {"input_ids": b} for b in calib]


def compress_(model: nn.Module, config: CompressConfig, calib: Iterable[Any] | None = None) -> dict[str, Any]:
    """Apply ``config`` to ``model`` in place; returns the handler's report (bits, sizes, scores)."""
    handler = HANDLERS.get(type(config))
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
