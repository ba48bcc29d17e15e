"""Quantisation sensitivity per channel group, layer and block, measured on calibration inputs.

Three measures, each summed per output-channel group, for layer W with calibration inputs X:
* ``output``: the layer's relative output error ||X (Q_b(W) - W)^T||^2 / ||X W^T||^2 (HAWQ-V3's Omega with
  the local layer loss in place of the global one);
* ``fisher``: sum(F * (X (Q_b(W) - W)^T)^2), F the squared gradient of a Fisher loss of the whole model's
  output w.r.t. the layer's output (the diagonal Fisher on pre-activations, as BRECQ weighs block
  outputs): the second-order change of the model's output divergence, so a layer the output barely
  depends on is cheap to quantise even when its own error is large;
* ``fisher_sequence``: the same Fisher's quadratic form with each sequence's token errors summed before
  squaring (``sequence_fisher_sensitivity``), so errors the tokens share add up as they do at the output.
"""

from __future__ import annotations

import re

import torch
from torch import nn

from accelsmith.model_opt._pack import dequantise_groups, quantise_groups

_BLOCK = re.compile(r"^(.*?\.(?:layers?|h|blocks?)\.\d+)\.")


def block_of(name: str) -> str:
    m = _BLOCK.match(name)
    return m.group(1) if m else name


def quantisable_linears(model: nn.Module, skip: tuple[str, ...]) -> dict[str, nn.Linear]:
    return {n: m for n, m in model.named_modules()
            if isinstance(m, nn.Linear) and not any(s in n for s in skip)}


def _embedding_module(model: nn.Module) -> nn.Module | None:
    get = getattr(model, "get_input_embeddings", None)
    return get() if callable(get) else None


def token_rows(t: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """[tokens, features] float rows of a [batch, seq, features] tensor on the CPU, padding dropped when the
    batch's attention mask lines up with it."""
    if mask is not None and t.dim() == 3 and tuple(mask.shape) == tuple(t.shape[:2]):
        return t[mask.to(torch.bool)].detach().float().cpu()
    return t.reshape(-1, t.shape[-1]).detach().float().cpu()


class _Rows:
    """Fixed token rows per batch (non-padding, evenly strided) so inputs and output gradients line up."""

    def __init__(self, batches: list[dict[str, torch.Tensor]], max_rows: int):
        self.max_rows, self.nb = max_rows, max(len(batches), 1)
        self.mask: torch.Tensor | None = None

    def take(self, t: torch.Tensor) -> torch.Tensor:
        t = token_rows(t, self.mask)
        return t[::max(1, t.shape[0] * self.nb // self.max_rows)]


def _fisher_loss(model: nn.Module, out, batch: dict[str, torch.Tensor], gen: torch.Generator) -> torch.Tensor:
    """A loss whose expected squared gradient is the Fisher of the model's output distribution.

    Causal LM: cross-entropy against tokens sampled from the model's own next-token distribution (the
    Hessian of KL(p_fp || p_q) at q = fp is this Fisher). Encoder: a random projection of the L2-normalised,
    mask-pooled last hidden state (E[(r^T J d)^2] = |J d|^2, the Gauss-Newton of the embedding's change
    in direction, which is what cosine similarity sees)."""
    logits = getattr(out, "logits", None)
    mask = batch.get("attention_mask")
    if logits is not None:
        probs = torch.softmax(logits.detach().float(), -1)
        y = torch.multinomial(probs.reshape(-1, probs.shape[-1]), 1, generator=gen).reshape(probs.shape[:-1])
        nll = nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1),
                                          reduction="none").reshape(y.shape)
        return (nll * mask).sum() if mask is not None else nll.sum()
    h = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
    m = (mask if mask is not None else torch.ones(h.shape[:2], device=h.device)).unsqueeze(-1).to(h.dtype)
    pooled = nn.functional.normalize((h * m).sum(1) / m.sum(1).clamp_min(1), dim=-1)
    r = torch.randn(pooled.shape, generator=gen).to(pooled.device, pooled.dtype)
    return (r * pooled).sum()


def collect_statistics(model: nn.Module, layers: dict[str, nn.Linear], batches, max_rows: int,
                       fisher_draws: int = 0, seed: int = 0) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Up to ``max_rows`` input rows per layer (evenly strided) and, with ``fisher_draws`` > 0, the Fisher
    weight of each of those rows' outputs: the squared gradient of ``_fisher_loss`` w.r.t. the layer output,
    averaged over draws."""
    if fisher_draws:
        xs, _, gs = collect_sequence_fisher(model, layers, batches, fisher_draws, seed)
        step = {n: max(1, x.shape[0] // max_rows) for n, x in xs.items()}
        return ({n: x[::step[n]][:max_rows] for n, x in xs.items()},
                {n: (g ** 2).mean(0)[::step[n]][:max_rows] for n, g in gs.items()})
    rows = _Rows(batches, max_rows)
    xs: dict[str, list[torch.Tensor]] = {n: [] for n in layers}
    handles = [m.register_forward_pre_hook(lambda _m, a, n=n: xs[n].append(rows.take(a[0]))) for n, m in layers.items()]
    model.eval()
    dev = next(model.parameters()).device
    try:
        with torch.no_grad():
            for b in batches:
                b = {k: v.to(dev) for k, v in b.items()}
                rows.mask = b.get("attention_mask")
                model(**b)
    finally:
        for h in handles:
            h.remove()
    return {n: torch.cat(v)[:max_rows] for n, v in xs.items() if v}, {}


@torch.no_grad()
def layer_sensitivity(lin: nn.Linear, x: torch.Tensor, bits: tuple[int, ...], group_size: int,
                      groups: int, codes: dict[int, tuple[torch.Tensor, torch.Tensor]] | None = None,
                      fisher: torch.Tensor | None = None) -> dict[int, list[float]]:
    """Error per output-channel group for each candidate width.

    Without ``fisher``: the layer's relative output error ||X dW^T||^2 / ||X W^T||^2. With it: the
    Fisher-weighted output error sum(F * (X dW^T)^2), in units of the model's output divergence, so
    layers compare by their effect on the model and not on themselves. ``codes`` gives each width's
    quantised weights (default: round-to-nearest)."""
    w = lin.weight.detach().float().cpu()
    ref = x @ w.T
    energy = float((ref ** 2).sum()) or 1.0
    out = {}
    bounds = group_bounds(w.shape[0], groups)
    for b in bits:
        q, s = codes[b] if codes is not None else quantise_groups(w, b, group_size)
        d2 = (x @ (dequantise_groups(q, s) - w).T) ** 2
        err_rows = (d2 * fisher).sum(0) if fisher is not None else d2.sum(0) / energy
        out[b] = [float(err_rows[a:e].sum()) for a, e in bounds]
    return out


def group_bounds(rows: int, groups: int) -> list[tuple[int, int]]:
    groups = max(1, min(groups, rows))
    edges = [round(i * rows / groups) for i in range(groups + 1)]
    return [(edges[i], edges[i + 1]) for i in range(groups) if edges[i + 1] > edges[i]]


def measure_sensitivity(model: nn.Module, batches, bits: tuple[int, ...], group_size: int, groups: int,
                        skip: tuple[str, ...], max_rows: int = 256, fisher_draws: int = 0,
                        codes: dict[str, dict[int, tuple[torch.Tensor, torch.Tensor]]] | None = None
                        ) -> dict[str, dict[int, list[float]]]:
    """``{layer: {bits: [error per channel group]}}`` for every quantisable Linear; ``fisher_draws`` > 0
    weighs output errors by the model-output Fisher (see ``layer_sensitivity``)."""
    layers = quantisable_linears(model, skip)
    xs, fs = collect_statistics(model, layers, batches, max_rows, fisher_draws)
    return {n: layer_sensitivity(layers[n], xs[n], bits, group_size, groups,
                                 None if codes is None else codes[n], fs.get(n) if fisher_draws else None)
            for n in layers if n in xs}


def _gradient_hooks(model: nn.Module, layers: dict[str, nn.Linear], on_input, on_grad) -> list:
    """Hooks for a Fisher pass: each layer's input goes to ``on_input(name, x)`` and the gradient w.r.t. its
    output to ``on_grad(name, g)``; the input embeddings' output becomes a leaf that requires grad, so gradients
    reach every layer with the weights frozen. Returns the handles to remove."""
    emb = _embedding_module(model)
    if emb is None:
        raise ValueError(f"Fisher sensitivity needs the model's input embeddings ({type(model).__name__} has none)")

    def post(name):
        def fn(_mod, _args, out):
            if out.requires_grad:
                out.register_hook(lambda g: on_grad(name, g))
        return fn

    def pre(name):
        def fn(_mod, args):
            on_input(name, args[0])
        return fn

    handles = [m.register_forward_pre_hook(pre(n)) for n, m in layers.items()]
    handles += [m.register_forward_hook(post(n)) for n, m in layers.items()]
    handles.append(emb.register_forward_hook(lambda _m, _a, out: out.detach().requires_grad_()))
    return handles


class _frozen:
    """Parameters stop requiring gradients for the duration: Fisher passes need gradients with respect to
    activations only, and weight gradients would double the model's memory."""

    def __init__(self, model: nn.Module):
        self.params = [p for p in model.parameters() if p.requires_grad]

    def __enter__(self):
        for p in self.params:
            p.requires_grad_(False)

    def __exit__(self, *exc):
        for p in self.params:
            p.requires_grad_(True)


def collect_sequence_fisher(model: nn.Module, layers: dict[str, nn.Linear], batches, draws: int, seed: int = 0
                            ) -> tuple[dict[str, torch.Tensor], torch.Tensor, dict[str, torch.Tensor]]:
    """Every non-padding token's input per layer [N, in], its sequence's index [N], and per draw the gradient
    of ``_fisher_loss`` w.r.t. the layer's output at those tokens [draws, N, out]."""
    xs: dict[str, list[torch.Tensor]] = {n: [] for n in layers}
    gs: dict[str, list[list[torch.Tensor]]] = {n: [[] for _ in range(draws)] for n in layers}
    grads: dict[str, torch.Tensor] = {}
    state: dict = {"x": True, "mask": None}
    seq: list[torch.Tensor] = []

    def on_input(name, x):
        if state["x"]:
            xs[name].append(token_rows(x, state["mask"]))

    handles = _gradient_hooks(model, layers, on_input,
                              lambda name, g: grads.__setitem__(name, token_rows(g, state["mask"])))
    gen = torch.Generator().manual_seed(seed)
    model.eval()
    dev = next(model.parameters()).device
    offset = 0
    try:
        with _frozen(model):
            for b in batches:
                b = {k: v.to(dev) for k, v in b.items()}
                state["mask"] = mask = b.get("attention_mask")
                shape = next(iter(b.values())).shape[:2]
                ids = torch.arange(shape[0]).unsqueeze(1).expand(*shape) + offset
                seq.append(token_rows(ids.unsqueeze(-1), None if mask is None else mask.cpu()).long().squeeze(-1))
                offset += shape[0]
                for d in range(draws):
                    state["x"] = d == 0
                    grads.clear()
                    with torch.enable_grad():
                        _fisher_loss(model, model(**b), b, gen).backward()
                    for n, g in grads.items():
                        gs[n][d].append(g)
    finally:
        for h in handles:
            h.remove()
    return ({n: torch.cat(v) for n, v in xs.items() if v}, torch.cat(seq),
            {n: torch.stack([torch.cat(g) for g in v]) for n, v in gs.items() if v[0]})


def sequence_fisher_sensitivity(model: nn.Module, batches, bits: tuple[int, ...], groups: int, skip: tuple[str, ...],
                                codes: dict[str, dict[int, tuple]], draws: int, seed: int = 0
                                ) -> dict[str, dict[int, list[float]]]:
    """Per output-channel group, the sequence-level Fisher quadratic form of the weight change:
    sum over sequences of E_draw[(sum over its tokens t of g_t . dO_t)^2], dO = X (Q_b(W) - W)^T. Unlike the
    per-token diagonal (``layer_sensitivity`` with ``fisher``), errors that the sequence's tokens share add up
    before they are squared, as they do in a pooled embedding or a sequence's likelihood.

    Streams: in each layer's output-gradient hook the sequence's sum is contracted as
    sum_t g_t . (x_t dW^T) = <G_s^T X_s, dW> (per output row), so memory holds one batch's activations and
    one [out, in] matrix per sequence of the batch, never the calibration set's tokens."""
    layers = quantisable_linears(model, skip)
    bounds = {n: group_bounds(m.out_features, groups) for n, m in layers.items()}
    acc = {n: {b: torch.zeros(len(bounds[n]), dtype=torch.float64) for b in bits} for n in layers}
    inputs: dict[str, torch.Tensor] = {}
    state: dict = {"mask": None}
    group_of = {n: torch.cat([torch.full((e - a,), i) for i, (a, e) in enumerate(bounds[n])]) for n in layers}

    def contract(name, g):
        lin, x = layers[name], inputs.pop(name)
        w = lin.weight.detach().float().cpu()
        x, g = x.float().cpu(), g.detach().float().cpu()
        x, g = x.reshape(-1, x.shape[-2], x.shape[-1]), g.reshape(-1, g.shape[-2], g.shape[-1])
        mask = state["mask"]
        for i in range(x.shape[0]):
            keep = slice(None) if mask is None else mask[i].cpu().to(torch.bool)
            m = g[i][keep].T @ x[i][keep]                                   # [out, in] = G_s^T X_s
            base = (m * w).sum(-1)
            for b in bits:
                q, s = codes[name][b]
                rows, k = q.shape
                per_row = ((m.reshape(rows, s.shape[1], -1) * q.float().reshape(rows, s.shape[1], -1)).sum(-1)
                           * s.float()).sum(-1) - base                     # <G_s^T X_s, dW> per output row
                per_group = torch.zeros(len(bounds[name]), dtype=torch.float64).index_add_(
                    0, group_of[name], per_row.double())
                acc[name][b] += per_group ** 2 / draws

    handles = _gradient_hooks(model, layers, lambda name, x: inputs.__setitem__(name, x.detach()), contract)
    gen = torch.Generator().manual_seed(seed)
    model.eval()
    dev = next(model.parameters()).device
    try:
        with _frozen(model):
            for b in batches:
                b = {k: v.to(dev) for k, v in b.items()}
                state["mask"] = b.get("attention_mask")
                for _ in range(draws):
                    with torch.enable_grad():
                        _fisher_loss(model, model(**b), b, gen).backward()
                    inputs.clear()
    finally:
        for h in handles:
            h.remove()
    return {n: {b: acc[n][b].tolist() for b in bits} for n in layers}


def summarise(sens: dict[str, dict[int, list[float]]]) -> dict[str, dict[str, dict[int, float]]]:
    """Sensitivity rolled up per layer and per block (sums of group errors)."""
    per_layer = {n: {b: sum(v) for b, v in d.items()} for n, d in sens.items()}
    per_block: dict[str, dict[int, float]] = {}
    for n, d in per_layer.items():
        blk = per_block.setdefault(block_of(n), {})
        for b, v in d.items():
            blk[b] = blk.get(b, 0.0) + v
    return {"layer": per_layer, "block": per_block}
