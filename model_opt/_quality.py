"""Quality metrics for the report: perplexity for causal LMs, embedding agreement for encoders."""

from __future__ import annotations

import math

import torch
from torch import nn


def token_windows(tokenizer, texts: list[str], window: int, max_tokens: int) -> list[torch.Tensor]:
    """Concatenate the texts' tokens and cut ``max_tokens`` of them into [1, window] id tensors."""
    ids: list[int] = []
    for t in texts:
        ids += tokenizer(t, add_special_tokens=False)["input_ids"]
        if len(ids) >= max_tokens:
            break
    ids = ids[:max_tokens]
    return [torch.tensor([ids[i:i + window]]) for i in range(0, len(ids) - window + 1, window)]


def is_causal_lm(model: nn.Module) -> bool:
    return type(model).__name__.endswith("ForCausalLM")


@torch.no_grad()
def perplexity(model: nn.Module, windows: list[torch.Tensor]) -> float:
    nll, n = 0.0, 0
    for w in windows:
        out = model(input_ids=w, labels=w)
        nll += float(out.loss) * (w.shape[1] - 1)
        n += w.shape[1] - 1
    return math.exp(nll / max(n, 1))


@torch.no_grad()
def pooled(model: nn.Module, windows: list[torch.Tensor]) -> torch.Tensor:
    """Mean-pooled last hidden state per window (what sentence-embedding models output)."""
    return torch.cat([model(input_ids=w, output_hidden_states=True).hidden_states[-1].mean(1) for w in windows])


def quality(model: nn.Module, windows: list[torch.Tensor], reference: torch.Tensor | None = None) -> dict[str, float]:
    if is_causal_lm(model):
        return {"perplexity": perplexity(model, windows)}
    emb = pooled(model, windows)
    if reference is None:
        return {"embedding_cosine": 1.0}
    return {"embedding_cosine": float(nn.functional.cosine_similarity(emb, reference).mean())}
