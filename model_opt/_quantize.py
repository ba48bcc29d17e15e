"""Quantisation configs and their handlers: uniform, and mixed precision under a bit/memory budget."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from torch import nn

from accelsmith.model_opt._allocate import Unit, allocate_bits
from accelsmith.model_opt._compress import CompressConfig, register_handler
from accelsmith.model_opt._errors import ModelOptError
from accelsmith.model_opt._gptq import Quantiser, collect_hessians, quantise_layer
from accelsmith.model_opt._packed_linear import PackedLinear
from accelsmith.model_opt._sensitivity import (block_of, group_bounds, measure_sensitivity, quantisable_linears,
                                               sequence_fisher_sensitivity, summarise)
from accelsmith.model_opt._state import opt_state

DEFAULT_SKIP = ("lm_head", "embed", "pooler", "classifier")


class UniformQuantConfig(CompressConfig):
    """Every quantisable Linear at ``w_bits``; activations fake-quantised per token to ``a_bits``."""

    w_bits: int = Field(8, ge=2, le=8)
    a_bits: int | None = Field(8, ge=2, le=16)
    group_size: int = Field(64, ge=0)
    quantiser: Quantiser = Field("rtn", description="rtn: round to nearest; gptq: Hessian error feedback (needs calib)")
    skip: tuple[str, ...] = DEFAULT_SKIP


class MixedPrecisionConfig(CompressConfig):
    """Per-unit widths from ``candidates`` minimising summed sensitivity under one budget."""

    avg_bits: float | None = Field(None, gt=0, le=8)
    weight_bytes: int | None = Field(None, gt=0, description="budget for packed codes of the quantised layers")
    candidates: tuple[int, ...] = (4, 8)
    a_bits: int | None = Field(8, ge=2, le=16)
    group_size: int = Field(64, ge=0)
    granularity: Literal["group", "layer", "block"] = "layer"
    groups_per_layer: int = Field(4, ge=1)
    max_rows: int = Field(256, ge=8, description="calibration rows kept per layer")
    quantiser: Quantiser = Field("rtn", description="rtn: round to nearest; gptq: Hessian error feedback")
    sensitivity: Literal["output", "fisher", "fisher_sequence"] = Field(
        "fisher_sequence", description="fisher_sequence: the model-output Fisher's quadratic form of the layer's "
                                       "output change, a sequence's token errors summed before squaring; fisher: "
                                       "its per-token diagonal; output: the layer's own relative output error")
    fisher_draws: int = Field(2, ge=1, description="sampled gradients per calibration batch (fisher)")
    skip: tuple[str, ...] = DEFAULT_SKIP

    @model_validator(mode="after")
    def _one_budget(self) -> MixedPrecisionConfig:
        if (self.avg_bits is None) == (self.weight_bytes is None):
            raise ValueError(f"give exactly one of avg_bits or weight_bytes (got {self.avg_bits!r}, {self.weight_bytes!r})")
        if any(not 2 <= b <= 8 for b in self.candidates) or not self.candidates:
            raise ValueError(f"candidates must be widths in 2..8, got {self.candidates!r}")
        return self


def _replace(model: nn.Module, name: str, new: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, new)


def layer_codes(model: nn.Module, layers: dict[str, nn.Linear], widths: tuple[int, ...], group_size: int,
                quantiser: Quantiser, batches) -> dict[str, dict[int, tuple]]:
    """``{layer: {bits: (codes, fp16 scales)}}`` for every width, by the chosen quantiser (GPTQ measures
    each layer's input Hessian on the calibration batches first, from the unquantised model)."""
    if quantiser == "gptq" and not batches:
        raise ModelOptError("the gptq quantiser needs calibration data (calib=...) for the layers' input Hessians")
    hess = collect_hessians(model, layers, batches) if quantiser == "gptq" else {}
    return {n: {b: quantise_layer(m.weight.detach(), b, group_size, quantiser, hess.get(n)) for b in widths}
            for n, m in layers.items()}


def pack_model(model: nn.Module, plan: dict[str, list[tuple[int, int, int]]], group_size: int,
               a_bits: int | None, codes: dict[str, dict[int, tuple]] | None = None) -> dict[str, Any]:
    """Swap each planned Linear for a PackedLinear (from ``codes`` when given, else round-to-nearest);
    returns bits and bytes actually stored."""
    total_bits = numel = 0
    layers = {}
    for name, segments in plan.items():
        lin = model.get_submodule(name)
        packed = PackedLinear.from_linear(lin, segments, group_size, a_bits,
                                          codes=None if codes is None else codes[name])
        _replace(model, name, packed)
        total_bits += packed.weight_bits_total
        numel += lin.weight.numel()
        layers[name] = {"segments": [list(s) for s in segments], "a_bits": a_bits}
    st = opt_state(model)
    st["act_bits"] = a_bits
    st["quant"].update({n: {**v, "group_size": group_size} for n, v in layers.items()})
    return {"avg_bits": total_bits / max(numel, 1), "packed_weight_bytes": total_bits // 8,
            "quantised_params": numel, "layers": {n: v["segments"] for n, v in layers.items()}}


@register_handler(UniformQuantConfig)
def _uniform(model: nn.Module, cfg: UniformQuantConfig, batches) -> dict[str, Any]:
    layers = quantisable_linears(model, cfg.skip)
    if not layers:
        raise ModelOptError(f"no Linear layer left to quantise after skip={cfg.skip!r}")
    plan = {n: [(0, m.out_features, cfg.w_bits)] for n, m in layers.items()}
    codes = layer_codes(model, layers, (cfg.w_bits,), cfg.group_size, cfg.quantiser, batches) \
        if cfg.quantiser != "rtn" else None
    return {**pack_model(model, plan, cfg.group_size, cfg.a_bits, codes), "quantiser": cfg.quantiser}


def _units(sens, layers, cfg: MixedPrecisionConfig) -> tuple[list[Unit], dict[str, list[tuple[str, int, int]]]]:
    """Allocation units and, per unit, the (layer, row start, row end) slices it covers."""
    members: dict[str, list[tuple[str, int, int]]] = {}
    errors: dict[str, dict[int, float]] = {}
    for name, by_bits in sens.items():
        rows = layers[name].out_features
        for gi, (a, e) in enumerate(group_bounds(rows, cfg.groups_per_layer)):
            key = {"group": f"{name}#{gi}", "layer": name, "block": block_of(name)}[cfg.granularity]
            if cfg.granularity != "group" and key in members and members[key][-1][0] == name:
                members[key][-1] = (name, members[key][-1][1], e)
            else:
                members.setdefault(key, []).append((name, a, e))
            err = errors.setdefault(key, {b: 0.0 for b in cfg.candidates})
            for b in cfg.candidates:
                err[b] += by_bits[b][gi]
    units = [Unit(k, sum((e - a) * layers[n].in_features for n, a, e in members[k]), errors[k]) for k in members]
    return units, members


def mixed_inputs(model: nn.Module, cfg: MixedPrecisionConfig, batches, widths: tuple[int, ...] | None = None,
                 sensitivity_batches=None) -> tuple[dict[str, dict[int, tuple]], dict[str, dict[int, list[float]]]]:
    """Each layer's codes and sensitivity at every width in ``widths`` (default: the candidates); both
    depend only on the unquantised model, so one measurement serves several budgets. ``sensitivity_batches``
    (default: ``batches``) measures the sensitivity on other data than the codes were fitted to: GPTQ minimises
    each layer's error on its calibration inputs, so the same inputs understate its error elsewhere."""
    if not batches:
        raise ModelOptError("MixedPrecisionConfig needs calibration data (calib=...) to measure sensitivity")
    layers = quantisable_linears(model, cfg.skip)
    if not layers:
        raise ModelOptError(f"no Linear layer left to quantise after skip={cfg.skip!r}")
    groups = cfg.groups_per_layer if cfg.granularity == "group" else 1
    widths = tuple(sorted(widths or cfg.candidates))
    codes = layer_codes(model, layers, widths, cfg.group_size, cfg.quantiser, batches)
    batches = sensitivity_batches or batches
    if cfg.sensitivity == "fisher_sequence":
        sens = sequence_fisher_sensitivity(model, batches, widths, groups, cfg.skip, codes, cfg.fisher_draws)
    else:
        sens = measure_sensitivity(model, batches, widths, cfg.group_size, groups, cfg.skip, cfg.max_rows,
                                   fisher_draws=cfg.fisher_draws if cfg.sensitivity == "fisher" else 0, codes=codes)
    return codes, sens


def apply_mixed(model: nn.Module, cfg: MixedPrecisionConfig, codes: dict[str, dict[int, tuple]],
                sens: dict[str, dict[int, list[float]]]) -> dict[str, Any]:
    """Allocate the candidates' widths under the budget from measured sensitivities, then pack."""
    layers = quantisable_linears(model, cfg.skip)
    groups = cfg.groups_per_layer if cfg.granularity == "group" else 1
    numel = sum(m.weight.numel() for n, m in layers.items() if n in sens)
    budget = int(cfg.avg_bits * numel) if cfg.avg_bits is not None else cfg.weight_bytes * 8
    units, members = _units(sens, layers, cfg.model_copy(update={"groups_per_layer": groups}))
    choice = allocate_bits(units, budget)
    plan: dict[str, list[tuple[int, int, int]]] = {}
    for key, parts in members.items():
        for name, a, e in parts:
            plan.setdefault(name, []).append((a, e, choice[key]))
    plan = {n: _merge(sorted(segs)) for n, segs in plan.items()}
    report = pack_model(model, plan, cfg.group_size, cfg.a_bits, codes)
    report.update(quantiser=cfg.quantiser, sensitivity_kind=cfg.sensitivity)
    report["sensitivity"] = summarise({n: {b: v[b] for b in cfg.candidates} for n, v in sens.items()})
    report["budget_bits"] = budget
    return report


@register_handler(MixedPrecisionConfig)
def _mixed(model: nn.Module, cfg: MixedPrecisionConfig, batches) -> dict[str, Any]:
    codes, sens = mixed_inputs(model, cfg, batches)
    return apply_mixed(model, cfg, codes, sens)


def _merge(segs: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Fuse neighbouring segments of one width so a layer at one width is one packed tensor."""
    out = [segs[0]]
    for a, e, b in segs[1:]:
        if out[-1][2] == b and out[-1][1] == a:
            out[-1] = (out[-1][0], e, b)
        else:
            out.append((a, e, b))
    return out
