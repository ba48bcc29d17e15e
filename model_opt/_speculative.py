"""Speculative decoding for causal LMs: a cheap drafter proposes k tokens, the target checks them in one forward pass.

The standard draft-then-verify algorithm (Leviathan et al. 2023, Chen et al. 2023) with the rejection rule: draft
token d with draft probability q(d) is kept with probability min(1, p(d) / q(d)) under the target's p; at the first
rejection the next token is drawn from norm(max(p - q, 0)), and when every draft is kept one bonus token comes from
the target's next distribution. Sampled output therefore follows the target's distribution exactly, and greedy
output (temperature 0: keep a draft while it is the target's argmax) is the target's own greedy output.

Two drafters: ``ModelDrafter`` (a smaller model sharing the target's tokenizer, e.g. Qwen2.5-Coder-0.5B for 1.5B)
and ``LookupDrafter`` (prompt lookup: the tokens that followed the latest earlier occurrence of the context's last
n-gram; a repair reply copies most of the module it repairs). The draft length adapts: +2 after a step that kept
every draft, -1 after one that did not (transformers' "heuristic" schedule), within [1, k_max].

Batch size 1; both models keep a KV cache that is cut back to the accepted tokens after every step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch


@dataclass
class SpecStats:
    """What a speculative generation did: steps (target forward passes after the prompt), tokens drafted and kept."""

    new_tokens: int = 0
    steps: int = 0
    drafted: int = 0
    accepted: int = 0
    draft_forwards: int = 0
    seconds: float = 0.0
    accepted_per_step: list[int] = field(default_factory=list)
    draft_lengths: list[int] = field(default_factory=list)

    @property
    def acceptance(self) -> float:
        """Share of drafted tokens the target kept."""
        return self.accepted / self.drafted if self.drafted else 0.0

    @property
    def tokens_per_step(self) -> float:
        """New tokens per target forward pass (1.0 without drafting)."""
        return self.new_tokens / self.steps if self.steps else 0.0

    def as_dict(self) -> dict:
        return {"new_tokens": self.new_tokens, "steps": self.steps, "drafted": self.drafted, "accepted": self.accepted,
                "acceptance": round(self.acceptance, 4), "tokens_per_step": round(self.tokens_per_step, 3),
                "draft_forwards": self.draft_forwards, "seconds": round(self.seconds, 3),
                "tokens_per_s": round(self.new_tokens / self.seconds, 3) if self.seconds else None}


def penalise(logits: torch.Tensor, context: list[int], penalty: float) -> torch.Tensor:
    """transformers' repetition penalty: the logit of every token already in ``context`` divided by ``penalty`` when
    positive, multiplied when negative (``RepetitionPenaltyLogitsProcessor``)."""
    if penalty == 1.0 or not context:
        return logits
    out = logits.clone()
    idx = torch.tensor(sorted(set(context)), dtype=torch.long)
    seen = out[idx]
    out[idx] = torch.where(seen > 0, seen / penalty, seen * penalty)
    return out


def _probs(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    return torch.softmax(logits.float() / temperature, dim=-1)


class _Cached:
    """A causal LM with a KV cache over a prefix of the sequence."""

    def __init__(self, model):
        from transformers import DynamicCache

        self.model = model
        self.cache = DynamicCache(config=model.config)
        self.length = 0  # tokens of the sequence the cache holds

    @torch.no_grad()
    def feed(self, tokens: list[int]) -> torch.Tensor:
        """Run ``tokens`` (the ones after the cached prefix) through the model; the logits at each of them."""
        ids = torch.tensor([tokens], dtype=torch.long)
        out = self.model(input_ids=ids, cache=self.cache, use_cache=True)  # transformers 5.24: `cache`
        self.length += len(tokens)
        return out.logits[0]

    def crop(self, length: int) -> None:
        if length < self.length:
            self.cache.crop(length - self.length)  # transformers 5.24: a negative count of tokens to remove
            self.length = length


class ModelDrafter:
    """Drafts with a smaller causal LM that shares the target's tokenizer (same token ids)."""

    def __init__(self, model):
        self.model = model
        self.state: _Cached | None = None

    def start(self, prompt: list[int]) -> None:
        self.state = _Cached(self.model)
        if len(prompt) > 1:
            self.state.feed(prompt[:-1])

    def propose(self, seq: list[int], k: int, temperature: float, gen: torch.Generator, penalty: float = 1.0
                ) -> tuple[list[int], list[torch.Tensor] | None, int]:
        """Up to ``k`` draft tokens after ``seq``, their draft distributions (None when greedy) and forward passes."""
        st = self.state
        assert st is not None, "start() first"
        st.crop(len(seq) - 1)
        logits = st.feed(seq[st.length:])[-1]
        tokens: list[int] = []
        dists = []
        for i in range(k):
            logits = penalise(logits, seq + tokens, penalty)
            if temperature > 0:
                q = _probs(logits, temperature)
                tok = int(torch.multinomial(q, 1, generator=gen))
                dists.append(q)
            else:
                tok = int(torch.argmax(logits))
            tokens.append(tok)
            if i < k - 1:
                logits = st.feed([tok])[-1]
        return tokens, (dists if temperature > 0 else None), k


class LookupDrafter:
    """Prompt lookup: the tokens that followed the latest earlier occurrence of the sequence's last n-gram (n from
    ``max_ngram`` down to ``min_ngram``); nothing when the n-gram never occurred. A deterministic draft: q is one-hot."""

    def __init__(self, max_ngram: int = 3, min_ngram: int = 1):
        self.max_ngram, self.min_ngram = max_ngram, min_ngram

    def start(self, prompt: list[int]) -> None:
        pass

    def propose(self, seq: list[int], k: int, temperature: float, gen: torch.Generator, penalty: float = 1.0
                ) -> tuple[list[int], list[torch.Tensor] | None, int]:
        n_seq = len(seq)
        for n in range(min(self.max_ngram, n_seq - 1), self.min_ngram - 1, -1):
            tail = seq[n_seq - n:]
            for start in range(n_seq - n - 1, -1, -1):  # latest earlier occurrence first
                if seq[start:start + n] == tail:
                    follow = seq[start + n:start + n + k]
                    if follow:
                        return follow, None, 0
        return [], None, 0


def _residual_sample(p: torch.Tensor, q: torch.Tensor | None, drafted: int, gen: torch.Generator) -> int:
    """After rejecting ``drafted``: a token from norm(max(p - q, 0)) (q one-hot on ``drafted`` when None)."""
    r = p.clone()
    if q is None:
        r[drafted] = 0.0
    else:
        r = torch.clamp(r - q, min=0.0)
    total = float(r.sum())
    if total <= 0.0:  # p == q: the rejection had probability 0; fall back to p
        r, total = p, float(p.sum())
    return int(torch.multinomial(r / total, 1, generator=gen))


def accept(p: list[torch.Tensor], drafts: list[int], q: list[torch.Tensor] | None, temperature: float,
           gen: torch.Generator) -> tuple[int, int]:
    """The rejection rule over one step: ``p`` holds the target's len(drafts) + 1 next-token distributions (or
    logits when greedy), ``q`` the drafter's (None: deterministic drafts). Returns (drafts kept, the token after)."""
    for i, d in enumerate(drafts):
        if temperature <= 0:
            best = int(torch.argmax(p[i]))
            if best != d:
                return i, best
            continue
        pd = float(p[i][d])
        qd = 1.0 if q is None else float(q[i][d])
        if qd <= 0.0 or float(torch.rand(1, generator=gen)) >= min(1.0, pd / qd):
            return i, _residual_sample(p[i], None if q is None else q[i], d, gen)
    last = p[len(drafts)]
    nxt = int(torch.argmax(last)) if temperature <= 0 else int(torch.multinomial(last, 1, generator=gen))
    return len(drafts), nxt


@torch.no_grad()
def speculative_generate(target, prompt_ids: list[int] | torch.Tensor, drafter, max_new_tokens: int, *,
                         temperature: float = 0.0, k: int = 4, k_max: int = 16, adaptive: bool = True,
                         eos_token_id: int | list[int] | None = None, seed: int = 0,
                         repetition_penalty: float = 1.0) -> tuple[list[int], SpecStats]:
    """New tokens after ``prompt_ids`` from ``target`` with ``drafter`` (``ModelDrafter``, ``LookupDrafter`` or None
    for plain one-token-per-pass decoding through the same code) and the statistics of the run.
    ``repetition_penalty`` is applied to the target's logits at every position as ``generate`` applies it (over the
    prompt and the tokens before that position), so greedy output matches ``generate(repetition_penalty=...)``."""
    if isinstance(prompt_ids, torch.Tensor):
        prompt_ids = prompt_ids.reshape(-1).tolist()
    seq = list(prompt_ids)
    if not seq:
        raise ValueError("speculative_generate needs a prompt of at least one token")
    eos = set([eos_token_id] if isinstance(eos_token_id, int) else (eos_token_id or []))
    gen = torch.Generator().manual_seed(seed)
    stats = SpecStats()
    t0 = time.perf_counter()
    tgt = _Cached(target)
    if len(seq) > 1:
        tgt.feed(seq[:-1])
    if drafter is not None:
        drafter.start(seq)
    n_prompt, done = len(seq), False
    while not done and len(seq) - n_prompt < max_new_tokens:
        room = max_new_tokens - (len(seq) - n_prompt)
        want = max(0, min(k, room - 1))
        drafts, q, fwd = (drafter.propose(seq, want, temperature, gen, repetition_penalty)
                          if drafter is not None and want else ([], None, 0))
        stats.draft_forwards += fwd
        logits = tgt.feed([seq[-1], *drafts])  # the cache holds seq[:-1]: one pass checks every draft
        stats.steps += 1
        rows = [penalise(x, seq + drafts[:i], repetition_penalty) for i, x in enumerate(logits)]
        p = rows if temperature <= 0 else [_probs(x, temperature) for x in rows]
        kept, nxt = accept(p, drafts, q, temperature, gen)
        stats.drafted += len(drafts)
        stats.accepted += kept
        stats.accepted_per_step.append(kept)
        stats.draft_lengths.append(len(drafts))
        tgt.crop(len(seq) + kept)  # seq[:-1] + the last token + the kept drafts: the new seq less its last token
        for tok in [*drafts[:kept], nxt]:
            seq.append(tok)
            if tok in eos or len(seq) - n_prompt >= max_new_tokens:
                done = True
                break
        if adaptive and drafts and drafter is not None and not isinstance(drafter, LookupDrafter):
            k = min(k + 2, k_max) if kept == len(drafts) else max(1, k - 1)
    stats.seconds = time.perf_counter() - t0
    new = seq[n_prompt:]
    stats.new_tokens = len(new)
    return new, stats
