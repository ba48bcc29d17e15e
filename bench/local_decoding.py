"""Tokens per second of the local backend with and without prompt-lookup decoding, side by side in one run.

    .venv/bin/python bench/local_decoding.py --model ~/.cache/accelsmith/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \
        [--lookup 10] [--problems 4] [--reply-tokens 256] [--out bench/results/local_decoding.json]

Prompts are the project's own (bench/problems/make.py): a fresh spec prompt (``prompts/verilogeval.txt``) and a
repair prompt (``prompts/verilogeval_repair.txt``) holding that problem's own module with a lint message, which
a good reply copies almost whole. Each prompt is decoded greedily (the agent's settings: temperature 0, repeat
penalty 1.1) without and then with lookup; the replies are compared token for token (the text).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "problems"))

import make  # noqa: E402  (bench/problems/make.py: the problems, written here)

from accelsmith.agents._chat import LocalChat  # noqa: E402
from accelsmith.prompts import render  # noqa: E402


def prompts(n: int) -> list[tuple[str, str, list[dict]]]:
    out = []
    for name, ports, _clocked, text, body in make.PROBLEMS[:n]:
        problem = make.prompt(name, ports, text)
        system = {"role": "system", "content": render("system")}
        fresh = render("verilogeval", problem=problem)
        module = make.ref(ports, body).replace("RefModule", "TopModule")
        repair = fresh + "\n\n" + render("verilogeval_repair", previous_rtl=module.strip(),
                                         diagnostics="- verilator warning [WIDTHEXPAND] operator width differs "
                                                     "from its operand (line 5); make the widths explicit")
        out += [(name, "fresh", [system, {"role": "user", "content": fresh}]),
                (name, "repair", [system, {"role": "user", "content": repair}])]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--lookup", type=int, default=10, help="prompt-lookup draft tokens")
    ap.add_argument("--problems", type=int, default=4)
    ap.add_argument("--reply-tokens", type=int, default=256)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    plain, fast = LocalChat(str(args.model)), LocalChat(str(args.model), lookup=args.lookup)
    warm = [{"role": "user", "content": "hi"}]
    plain.chat(warm, 4), fast.chat(warm, 4)  # load both before timing
    rows = []
    for name, kind, msgs in prompts(args.problems):
        row = {"problem": name, "prompt": kind}
        for label, chat in (("plain", plain), ("lookup", fast)):
            t0 = time.perf_counter()
            reply = chat.chat(msgs, args.reply_tokens)
            dt = time.perf_counter() - t0
            row[label] = {"tokens": reply.tokens_out, "s": round(dt, 2), "tok_s": round(reply.tokens_out / dt, 2)}
            row[f"{label}_text"] = reply.text
        row["identical"] = row["plain_text"] == row["lookup_text"]
        row["speedup"] = round(row["plain"]["s"] / row["lookup"]["s"], 2)
        rows.append(row)
        print(f"{name:12s} {kind:6s} plain {row['plain']['tok_s']:6.2f} tok/s  lookup {row['lookup']['tok_s']:6.2f} "
              f"tok/s  x{row['speedup']:.2f}  identical={row['identical']}", flush=True)
    for kind in ("fresh", "repair"):
        sel = [r for r in rows if r["prompt"] == kind]
        t_plain = sum(r["plain"]["s"] for r in sel)
        t_fast = sum(r["lookup"]["s"] for r in sel)
        print(f"{kind}: {len(sel)} prompts, plain {t_plain:.1f} s, lookup {t_fast:.1f} s, speedup x{t_plain / t_fast:.2f}, "
              f"identical {sum(r['identical'] for r in sel)}/{len(sel)}")
    if args.out:
        args.out.write_text(json.dumps({"model": args.model.name, "lookup": args.lookup, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
