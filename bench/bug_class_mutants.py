"""The bug-class mutants (a register dropped from reset, valid waiting for ready, an accept that ignores in_valid,
an enable that ignores a stall) of every template file against its derived bench, on Icarus.

    .venv/bin/python bench/bug_class_mutants.py [--jobs N] [--files gemm_os.v ...] [--out FILE]

Per template file, the bug-class mutants only (``verification.campaigns.mutate.BUG_CLASS_OPERATORS``) run over the
fast-tier regression specs that render it, as ``accelsmith mutate --grid`` does (a mutant is killed when one
spec's bench kills it); survivors go to the yosys equivalence proof (every spec) and the reviewed equivalents.
Prints one line per file (killed / non-equivalent) and every survivor as file:line operator: old -> new;
writes the reports as JSON lines under bench/results/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def main(argv: list[str] | None = None) -> int:
    from accelsmith import hw_templates
    from accelsmith.verification.campaigns.mutate import BUG_CLASS_OPERATORS, generate_mutants, mutate_across
    from accelsmith.verification.campaigns.regress import grid_specs

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2, help="benches in parallel (default 2)")
    ap.add_argument("--files", nargs="+", help="only these template files, e.g. gemm_os.v")
    ap.add_argument("--out", type=Path, help="JSON lines output (default bench/results/bug_class_mutants_<date>.jsonl)")
    args = ap.parse_args(argv)

    chosen: dict[str, list] = {}
    for spec in grid_specs(None, "fast"):
        bundle = hw_templates.get(spec.kind).render(spec)
        name = next(iter(bundle.files))  # the template file; the generated top comes after it
        if not args.files or name in args.files:
            chosen.setdefault(name, []).append(spec)
    out = args.out or RESULTS / f"bug_class_mutants_{datetime.date.today().isoformat()}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    total = [0, 0]
    with out.open("w") as fh:
        for name, specs in chosen.items():
            files = {name: hw_templates.get(specs[0].kind).render(specs[0]).files[name]}
            ids = [m.id for m in generate_mutants(files) if m.operator in BUG_CLASS_OPERATORS]
            label = f"{len(specs)} specs"
            if not ids:
                print(f"{name:14s} {label:9s} no bug-class mutants", flush=True)
                continue
            rep = mutate_across(specs, jobs=args.jobs, only=ids, prove=True)
            total[0] += rep["killed"]
            total[1] += rep["killed"] + rep["survived"]
            print(f"{name:14s} {label:9s} {rep['killed']:3d} killed / {rep['killed'] + rep['survived']:3d} "
                  f"non-equivalent ({rep['equivalent']} equivalent, {rep['stillborn']} stillborn) "
                  f"{rep['seconds']:.0f} s", flush=True)
            for s in rep["survivors"]:
                print(f"    survived {s['file']}:{s['line']} {s['operator']}: {s['original'].strip()!r} -> "
                      f"{s['replacement'].strip()!r}", flush=True)
            fh.write(json.dumps({"file": name, **rep}) + "\n")
    rate = f"{100 * total[0] / total[1]:.1f} %" if total[1] else "n/a"
    print(f"bug classes: {total[0]} killed / {total[1]} non-equivalent = {rate}; wall {time.perf_counter() - t0:.0f} s")
    print(f"reports: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
