"""Decoding-time acceleration on this CPU: Qwen2.5-Coder-1.5B alone vs speculative decoding, side by side in one run.

    .venv/bin/python bench/spec_decoding.py --models ~/.cache/accelsmith/models [--new-tokens 128] [--out F.json]

Models: ``../shared/tools/provision-eval-llm --all`` (GGUF, loaded through transformers in float32, so both models
share one tokenizer and run in torch). Prompts: the project's own prompts as the design loop renders them, two
fresh (a combinational core of the clamp kind; one of the 20 own problems) and two repairs (the same two with a
failing previous design and its diagnostics, as a repair step sends them). Methods, each greedy, each on the same
prompt in turn:

- ``target``: ``generate`` of the 1.5B alone (the reference output and speed);
- ``own_plain``: ``model_opt._speculative`` without a drafter (one token per pass: the loop's own overhead);
- ``spec_0.5b``: ``model_opt._speculative`` with the 0.5B drafting (k = 4, adaptive);
- ``lookup``: ``model_opt._speculative`` with prompt lookup (k = 10, n-grams of 3 down to 1);
- ``hf_assisted``: transformers' assisted generation (``assistant_model`` = the 0.5B);
- ``hf_lookup``: transformers' prompt-lookup decoding (``prompt_lookup_num_tokens`` = 10).

Printed per prompt and method: new tokens, seconds, tokens/s, speed-up over ``target``, acceptance, and whether the
output is token-for-token the target's.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
TARGET, DRAFT = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "qwen2.5-coder-0.5b-instruct.gguf"

WRONG_CORE = """module clamp_top_core (
    input  logic [31:0] in_x,
    output logic [31:0] out_y
);
    genvar i;
    generate for (i = 0; i < 4; i = i + 1) begin : g
        wire [7:0] x = in_x[i*8 +: 8];
        assign out_y[i*8 +: 8] = x;
    end endgenerate
endmodule"""
CORE_FEEDBACK = """- bench case 'bounds_and_extremes' on icarus: received 6/6 output beats
    output beat 0 field y lane 1 at cycle 14: expected 0, got -128; inputs of that job: {"x": [[0, -128, 127, -1]]}
    output beat 1 field y lane 3 at cycle 15: expected 0, got -1; inputs of that job: {"x": [[5, 3, 2, -1]]}"""


def prompts() -> dict[str, list[dict]]:
    """name -> chat messages, rendered by the design loop's own prompt files."""
    from accelsmith.agents._consensus import prompt_header
    from accelsmith.agents._prompting import core_port_header, describe_spec
    from accelsmith.kinds.clamp import ClampSpec
    from accelsmith.prompts import render
    from accelsmith.verification import derive

    spec = ClampSpec(lanes=4, bits=8, signed=True, name="relu4")
    _, shown = core_port_header(derive(spec), "clamp_top_core")
    core = render("draft_core", spec_text=describe_spec(spec, protocol=False), plan_text="", template_text="",
                  top="clamp_top", core="clamp_top_core", stages=1, header=shown)
    core_repair = core + "\n\n" + render("repair", iteration=1, previous_rtl=f"// file: clamp_top_core.v\n{WRONG_CORE}",
                                         feedback_text=CORE_FEEDBACK, top="clamp_top_core")
    text = (ROOT / "bench/problems/suite/Prob001_popcount8_prompt.txt").read_text()
    problem = render("verilogeval", problem=text.strip() + "\n\nUse exactly this module header:\n"
                     + prompt_header(text, "TopModule"))
    previous = (ROOT / "tests/data/llm_replies/popcount8_qwen0.5b_undeclared_clock.v").read_text().strip()
    problem_repair = render("verilogeval_repair", previous_rtl=previous, diagnostics=(
        "- pyslang error TopModule.v:6 [UndeclaredIdentifier] use of undeclared identifier 'clk'"))
    system = {"role": "system", "content": render("system")}
    return {"fresh_core": [system, {"role": "user", "content": core}],
            "fresh_problem": [system, {"role": "user", "content": problem}],
            "repair_core": [system, {"role": "user", "content": core_repair}],
            "repair_problem": [system, {"role": "user", "content": problem},
                               {"role": "assistant", "content": f"```verilog\n{previous}\n```"},
                               {"role": "user", "content": problem_repair}]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, default=Path.home() / ".cache/accelsmith/models")
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--only", default="", help="comma-separated prompt names")
    ap.add_argument("--methods", default="target,own_plain,spec_0.5b,lookup,hf_assisted,hf_lookup")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    from accelsmith.model_opt import load_model
    from accelsmith.model_opt._speculative import LookupDrafter, ModelDrafter, speculative_generate

    torch.set_grad_enabled(False)
    t0 = time.perf_counter()
    target, tok = load_model(args.models / TARGET, causal_lm=True)
    draft, _ = load_model(args.models / DRAFT, causal_lm=True)
    print(f"loaded {TARGET} and {DRAFT} (float32) in {time.perf_counter() - t0:.1f} s; "
          f"torch threads {torch.get_num_threads()}", flush=True)
    eos = [i for i in {tok.eos_token_id, tok.convert_tokens_to_ids("<|im_end|>")} if isinstance(i, int)]
    n = args.new_tokens
    rows = []
    chosen = [p for p in args.only.split(",") if p]
    for name, messages in prompts().items():
        if chosen and name not in chosen:
            continue
        ids = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
                                      )["input_ids"]
        prompt = ids[0].tolist()
        ref, ref_s = None, None
        for method in args.methods.split(","):
            t = time.perf_counter()
            stats = {}
            if method == "target":
                out = target.generate(ids, max_new_tokens=n, do_sample=False, eos_token_id=eos, pad_token_id=eos[0])
                new = out[0, len(prompt):].tolist()
            elif method == "hf_assisted":
                out = target.generate(ids, max_new_tokens=n, do_sample=False, eos_token_id=eos, pad_token_id=eos[0],
                                      assistant_model=draft)
                new = out[0, len(prompt):].tolist()
            elif method == "hf_lookup":
                out = target.generate(ids, max_new_tokens=n, do_sample=False, eos_token_id=eos, pad_token_id=eos[0],
                                      prompt_lookup_num_tokens=10)
                new = out[0, len(prompt):].tolist()
            else:
                drafter = {"spec_0.5b": ModelDrafter(draft), "lookup": LookupDrafter(max_ngram=3),
                           "own_plain": None}[method]
                new, st = speculative_generate(target, prompt, drafter, n, k=4 if method == "spec_0.5b" else 10,
                                               eos_token_id=eos)
                stats = st.as_dict()
            secs = time.perf_counter() - t
            if method == "target":
                ref, ref_s = new, secs
            row = {"prompt": name, "prompt_tokens": len(prompt), "method": method, "new_tokens": len(new),
                   "seconds": round(secs, 2), "tokens_per_s": round(len(new) / secs, 2),
                   "speedup": round(ref_s / secs * len(new) / max(1, len(ref)), 2) if ref is not None else None,
                   "acceptance": stats.get("acceptance"), "tokens_per_step": stats.get("tokens_per_step"),
                   "identical": None if ref is None else new == ref}
            rows.append(row)
            print(f"{name:15s} {method:12s} prompt {len(prompt):4d}  new {len(new):4d}  {secs:7.1f} s  "
                  f"{row['tokens_per_s']:6.2f} tok/s  x{row['speedup']}  acc {row['acceptance']}  "
                  f"tok/step {row['tokens_per_step']}  identical {row['identical']}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
