"""Real-model evaluation of the design loop on the kinds without a template (requant: template withheld).

    python bench/llm_eval.py --models /tmp/evalllm --out bench/llm_eval_results.json [--configs 0.5b,cascade,1.5b]
        [--candidates N --temperature T] [--no-fixers] [--grammar] [--no-shell]

Each (config, kind) run goes through ``accelsmith.agents.design`` with the ``local`` or ``cascade``
backend on Icarus; results are appended to the JSON file as they finish (the eval takes long on CPU).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from accelsmith.agents import design
from accelsmith.runstore import RunStore
from accelsmith.spec import spec_from_dict

SPECS = [{"kind": "clamp", "lanes": 4, "bits": 8, "name": "relu4"},
         {"kind": "maxreduce", "lanes": 4, "bits": 8, "name": "max4"},
         {"kind": "dot", "length": 4, "in_bits": 8, "out_bits": 20, "name": "dot4"},
         {"kind": "fifo", "width": 8, "depth": 4, "name": "fifo4x8"},
         {"kind": "requant", "lanes": 2, "name": "requant2"}]
SMALL, LARGE = "qwen2.5-coder-0.5b-instruct.gguf", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def configs(models: Path) -> dict[str, tuple[str, dict]]:
    return {"0.5b": ("local", {"model_path": str(models / SMALL)}),
            "1.5b": ("local", {"model_path": str(models / LARGE)}),
            "cascade": ("cascade", {"stages": f"local:{models / SMALL},local:{models / LARGE}"})}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=Path, default=Path("/tmp/evalllm"))
    ap.add_argument("--out", type=Path, default=Path("bench/llm_eval_results.json"))
    ap.add_argument("--runs-dir", type=Path, default=Path("/tmp/llm_eval_runs"))
    ap.add_argument("--configs", default="0.5b,cascade,1.5b")
    ap.add_argument("--kinds", default=",".join(s["kind"] for s in SPECS))
    ap.add_argument("--max-iterations", type=int, default=2)
    ap.add_argument("--reply-tokens", type=int, default=384)
    ap.add_argument("--max-tokens", type=int, default=12000)
    ap.add_argument("--wall-clock", type=float, default=900.0)
    ap.add_argument("--candidates", type=int, default=1, help="designs per draft step (the first greedy)")
    ap.add_argument("--temperature", type=float, default=0.7, help="sampling temperature of the other candidates")
    ap.add_argument("--no-fixers", action="store_true", help="no mechanical fixes: every lint error goes back")
    ap.add_argument("--grammar", action="store_true", help="constrain RTL replies with the llama.cpp grammar")
    ap.add_argument("--no-shell", action="store_true",
                    help="the model writes the whole streaming top, not only the combinational core")
    args = ap.parse_args()
    store = RunStore(args.runs_dir)
    table = configs(args.models)
    results = json.loads(args.out.read_text()) if args.out.exists() else []
    done = {(r["config"], r["kind"]) for r in results}
    for name in args.configs.split(","):
        backend, opts = table[name]
        for raw in SPECS:
            if raw["kind"] not in args.kinds.split(",") or (name, raw["kind"]) in done:
                continue
            spec = spec_from_dict(raw)
            t0 = time.perf_counter()
            final = design(spec, store=store, backend=backend, sim="icarus", cross_check=[],
                           max_iterations=args.max_iterations, max_tokens=args.max_tokens,
                           wall_clock_s=args.wall_clock, force_scratch=True, waves=False, bench_timeout_s=120,
                           fixers=not args.no_fixers, shell=not args.no_shell, retrieve=False,  # runs of other models must not leak in
                           candidates=args.candidates, temperature=args.temperature,
                           backend_options={**opts, "max_reply_tokens": args.reply_tokens, "llm_plan": False,
                                            "grammar": args.grammar})
            cost = final.get("cost", {})
            bench = (final.get("bench") or {}).get("icarus") or {}
            row = {"config": name, "kind": spec.kind, "status": final.get("status"),
                   "stop_reason": final.get("stop_reason"), "stop_detail": final.get("stop_detail"),
                   "iterations": final.get("iteration"), "tokens_in": cost.get("tokens_in", 0),
                   "tokens_out": cost.get("tokens_out", 0), "wall_s": round(time.perf_counter() - t0, 1),
                   "per_model": {k: v for k, v in cost.items() if k.startswith("tokens_")and "." in k},
                   "escalations": cost.get("escalations", 0), "format_retries": cost.get("format_retries", 0),
                   "fixes_applied": cost.get("fixes_applied", 0), "candidates_judged": cost.get("candidates_judged", 0),
                   "cases_passed": f"{sum(c['passed'] for c in bench.get('cases', []))}/{len(bench.get('cases', []))}"
                   if bench else "not simulated",
                   "last_errors": [d["message"][:120] for d in final.get("diagnostics", [])
                                   if d["severity"] == "error"][:2], "run_id": final["run_id"]}
            results.append(row)
            args.out.write_text(json.dumps(results, indent=1))
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
