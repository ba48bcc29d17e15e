"""Several mutation campaigns in one process, every mutant's result streamed to a JSONL file as it finishes.

    .venv/bin/python bench/mutation_campaigns.py run softmax_16x4_q3_4:6,norm_layernorm_16x4:4 --out DIR
        [--only ONLY.json] [--no-prove] [--timeout 60]
    .venv/bin/python bench/mutation_campaigns.py remaining SPECS --progress DIR/progress.jsonl [...] > ONLY.json
    .venv/bin/python bench/mutation_campaigns.py summary DIR/progress.jsonl [...]
    .venv/bin/python bench/mutation_campaigns.py grid norm_layernorm_16x4 --out DIR [--extra norm_layernorm_8x2_affine]
        [--known bench/results/mutation_2026-11-29.jsonl] [--prior DIR/grid_norm_layernorm_16x4.json] [--prove]

SPECS names files in examples/ (without .yaml); ``:N`` gives that campaign N parallel Icarus benches (split
the host's cores by campaign size). ``remaining`` lists the mutant ids a cut-short run did not reach, so a
second run (``--only``) finishes the campaign; ``summary`` merges progress files into kill rates
(killed / (killed + survived); survivors include mutants no proof has judged yet); ``--judge`` first moves
survivors that ``parameters_unchanged`` proves equivalent out of the denominator. ``grid`` scores the
template's own RTL over the example spec, the regression grid's specs that render the same template file,
and ``--extra`` example specs (``mutate_across``: killed when any spec's bench kills the mutant); ``--known``
reuses an earlier ``run`` of the example spec so its killed mutants are not simulated again.
"""

from __future__ import annotations

import argparse
import collections
import json
import threading
import time
from dataclasses import asdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from accelsmith import hw_templates
from accelsmith.spec import load_spec
from accelsmith.verification.campaigns.mutate import (PARAMS_UNCHANGED, REVIEWED, Mutant, MutantResult, _apply_reviews,
                                             format_report, generate_mutants, mutate,
                                             mutate_across, mutated_lines, parameters_unchanged)
from accelsmith.verification.campaigns.regress import grid_sharing

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _spec(name: str):
    return load_spec(EXAMPLES / f"{name}.yaml")


def _all_ids(name: str) -> list[str]:
    spec = _spec(name)
    bundle = hw_templates.get(spec.kind).render(spec)
    return [m.id for m in generate_mutants(bundle.files, max_mutants=None, seed=spec.seed)]


def _rows(paths: list[Path]) -> list[dict]:
    return [json.loads(line) for p in paths for line in p.read_text().splitlines() if line.strip()]


def run(args) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    camps = [(c.split(":")[0], int(c.split(":")[1]) if ":" in c else 2) for c in args.specs.split(",")]
    only = json.loads(args.only.read_text()) if args.only else {}
    lock, reports, t0 = threading.Lock(), {}, time.time()

    def one(name: str, jobs: int) -> None:
        def progress(r) -> None:
            with lock, open(args.out / "progress.jsonl", "a") as f:
                f.write(json.dumps({"campaign": name, "id": r.mutant.id, "status": r.status,
                                    "detail": r.detail[:200], "mutant": r.mutant.describe(),
                                    "s": round(r.seconds, 1), "t": round(time.time() - t0, 1)}) + "\n")
        try:
            rep = mutate(_spec(name), jobs=jobs, max_mutants=None, timeout_s=args.timeout, prove=args.prove,
                         progress=progress, only=only.get(name))
        except Exception as err:  # one broken campaign must not lose the others' results
            rep = {"error": f"{type(err).__name__}: {err}"}
        with lock:
            reports[name] = rep
            (args.out / "reports.json").write_text(json.dumps(reports, indent=1))
        print(name, {k: rep.get(k) for k in ("mutants", "killed", "survived", "equivalent", "stillborn",
                                              "kill_rate", "seconds", "error")}, flush=True)

    with ThreadPoolExecutor(len(camps)) as pool:
        list(pool.map(lambda c: one(*c), camps))


def remaining(args) -> None:
    done = collections.defaultdict(set)
    for r in _rows(args.progress):
        done[r["campaign"]].add(r["id"])
    print(json.dumps({n: [i for i in _all_ids(n) if i not in done[n]] for n in args.specs.split(",")}))


def _judge(name: str, last: dict[str, dict]) -> None:
    """Re-judge survivors with the sound parameter check (``parameters_unchanged``): no simulation needed."""
    spec = _spec(name)
    bundle = hw_templates.get(spec.kind).render(spec)
    mutants = {m.id: m for m in generate_mutants(bundle.files, max_mutants=None, seed=spec.seed)}
    for r in last.values():
        if r["status"] == "survived" and parameters_unchanged(mutants[r["id"]], bundle.files):
            r.update(status="equivalent", detail=PARAMS_UNCHANGED)


def summary(args) -> None:
    rows = _rows(args.progress)
    for name in dict.fromkeys(r["campaign"] for r in rows):
        last = {r["id"]: r for r in rows if r["campaign"] == name}  # a re-run overrides an earlier result
        if args.judge:
            _judge(name, last)
        c = collections.Counter(r["status"] for r in last.values())
        scored = c["killed"] + c["survived"]
        total = len(_all_ids(name))
        print(f"{name}: {len(last)}/{total} mutants run; killed {c['killed']} / {scored} = "
              f"{100 * c['killed'] / scored:.1f} %; survived {c['survived']}, equivalent {c['equivalent']}, "
              f"stillborn {c['stillborn']}")
        if args.survivors:
            for r in sorted(last.values(), key=lambda r: r["id"]):
                if r["status"] == "survived":
                    print(f"  {r['id']} {r['mutant']}")


def grid(args) -> None:
    first = _spec(args.spec)
    specs = grid_sharing(first, tuple(args.skip))
    specs[1:1] = [_spec(n) for n in args.extra]
    known = {}
    if args.known:
        rows = [r for r in _rows(args.known) if r["campaign"] == args.spec]
        bundle = hw_templates.get(first.kind).render(first)
        now = {m.id: m.describe() for m in generate_mutants(bundle.files, max_mutants=None, seed=first.seed)}
        stale = [r["id"] for r in rows if now.get(r["id"]) != r["mutant"]]
        if stale:  # the RTL changed since that run: its ids no longer name the same edits
            raise SystemExit(f"--known: {len(stale)} mutants of {args.spec} differ from the current RTL "
                             f"(first {stale[0]}); run without --known")
        known = {r["id"]: r["status"] for r in rows}
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    log = args.out / f"grid_{args.spec}.jsonl"

    def progress(spec, r) -> None:
        with open(log, "a") as f:
            f.write(json.dumps({"spec": spec.label, "id": r.mutant.id, "status": r.status, "detail": r.detail[:200],
                                "mutant": r.mutant.describe(), "s": round(r.seconds, 1),
                                "t": round(time.time() - t0, 1)}) + "\n")
        print(f"  [{spec.label}] {r.mutant.id} {r.status:<10} {r.mutant.describe()}", flush=True)

    print("specs:", ", ".join(s.label for s in specs), flush=True)
    if args.prior and known:
        raise SystemExit("--prior re-runs survivors on every spec (the plan may have changed): drop --known")
    prior = json.loads(args.prior.read_text()) if args.prior else None
    only = [m["id"] for m in prior["survivors"]] if prior else None
    rep = mutate_across(specs, jobs=args.jobs, timeout_s=args.timeout, workdir=args.workdir, progress=progress,
                        known=known, prove=args.prove, prove_timeout_s=args.prove_timeout, only=only)
    if prior:  # only the prior run's survivors ran again (new specs, new cases): merge with what it settled
        rep = _merge(prior, rep)
    (args.out / f"grid_{args.spec}.json").write_text(json.dumps(rep, indent=1))
    print(format_report(rep))
    print("killed by spec:", rep["killed_by_spec"])


def _merge(prior: dict, rerun: dict) -> dict:
    """``prior``'s figures with its survivors replaced by ``rerun``'s verdicts on them (same RTL, so the same
    mutant ids); the specs are the rerun's, a superset in practice."""
    out = dict(rerun)
    again = {m["id"] for m in prior["survivors"]}
    if {m["id"] for key in ("survivors", "equivalents", "stillborn_mutants") for m in rerun[key]} - again:
        raise SystemExit("--prior: the rerun holds mutants that were not the prior run's survivors")
    for key in ("survivors", "equivalents", "stillborn_mutants"):
        out[key] = [m for m in prior[key] if m["id"] not in again] + rerun[key]
    out["killed"] = prior["killed"] + rerun["killed"]
    for key in ("survived", "equivalent", "stillborn"):
        out[key] = len(out[{"survived": "survivors", "equivalent": "equivalents", "stillborn": "stillborn_mutants"}[key]])
    out["mutants"] = prior["mutants"]
    _rates(out)
    out["killed_by_spec"] = {k: prior["killed_by_spec"].get(k, 0) + v for k, v in rerun["killed_by_spec"].items()}
    out["seconds"] = round(prior["seconds"] + rerun["seconds"], 1)
    assert out["killed"] + out["survived"] + out["equivalent"] + out["stillborn"] == out["mutants"]
    return out


def _survivors(report: dict, spec_name: str) -> tuple[dict[str, str], list[tuple[Mutant, str]]]:
    """The template files ``spec_name`` renders now, and a report's survivors as (Mutant, detail); exits when the
    RTL changed since the report (its offsets would name other edits)."""
    first = _spec(spec_name)
    files = hw_templates.get(first.kind).render(first).files
    out = []
    for m in report["survivors"]:
        mutant = Mutant(**{k: v for k, v in m.items() if k != "detail"})
        if files[m["file"]][mutant.start:mutant.end] != mutant.original:
            raise SystemExit(f"{m['id']}: {m['file']} changed since the report; run the grid again")
        out.append((mutant, m["detail"]))
    return files, out


def _rates(rep: dict) -> None:
    """Recompute a report's kill rate and the rate counting reviewed equivalents as survivors, in place."""
    rep["non_equivalent"] = rep["killed"] + rep["survived"]
    rep["kill_rate"] = rep["killed"] / rep["non_equivalent"] if rep["non_equivalent"] else None
    rep["equivalent_reviewed"] = sum(m["detail"].startswith(REVIEWED) for m in rep["equivalents"])
    strict = rep["non_equivalent"] + rep["equivalent_reviewed"]
    rep["kill_rate_proved_only"] = rep["killed"] / strict if strict else None


def review(args) -> None:
    """A YAML skeleton of reviewed-equivalence entries for a grid report's survivors (``why`` left to the reviewer)."""
    import yaml

    files, survivors = _survivors(json.loads(args.report.read_text()), args.spec)
    entries = []
    for mutant, _ in survivors:
        line, mutated = mutated_lines(mutant, files)
        entries.append({"file": mutant.file, "line": line, "mutated": mutated, "why": f"TODO ({mutant.id})"})
    print(yaml.safe_dump(entries, sort_keys=False, width=120))


def rescore(args) -> None:
    """Apply the current reviewed-equivalence files to a grid report's survivors (same RTL) and rewrite it."""
    rep = json.loads(args.report.read_text())
    files, survivors = _survivors(rep, args.spec)
    results = [MutantResult(mutant, "survived", detail) for mutant, detail in survivors]
    _apply_reviews(results, files)
    rep["survivors"] = [{**asdict(r.mutant), "detail": r.detail} for r in results if r.status == "survived"]
    rep["equivalents"] += [{**asdict(r.mutant), "detail": r.detail} for r in results if r.status == "equivalent"]
    rep["survived"], rep["equivalent"] = len(rep["survivors"]), len(rep["equivalents"])
    _rates(rep)
    args.report.write_text(json.dumps(rep, indent=1))
    print(format_report(rep))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("specs")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--only", type=Path)
    r.add_argument("--timeout", type=float, default=60.0)
    r.add_argument("--no-prove", dest="prove", action="store_false")
    m = sub.add_parser("remaining")
    m.add_argument("specs")
    m.add_argument("--progress", type=Path, nargs="+", required=True)
    s = sub.add_parser("summary")
    s.add_argument("progress", type=Path, nargs="+")
    s.add_argument("--survivors", action="store_true")
    s.add_argument("--judge", action="store_true", help="apply the parameter-equivalence check to survivors")
    g = sub.add_parser("grid")
    g.add_argument("spec")
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--extra", nargs="*", default=[])
    g.add_argument("--skip", nargs="*", default=[], help="grid spec names to leave out (e.g. slow ones)")
    g.add_argument("--known", type=Path, nargs="*", default=[])
    g.add_argument("--jobs", type=int, default=2)
    g.add_argument("--timeout", type=float, default=60.0)
    g.add_argument("--workdir", type=Path)
    g.add_argument("--prove", action="store_true", help="yosys equivalence proof of survivors, per spec")
    g.add_argument("--prove-timeout", type=float, default=120.0, help="seconds per yosys proof")
    g.add_argument("--prior", type=Path, help="an earlier grid report of the same RTL: re-run its survivors only")
    v = sub.add_parser("review", help="YAML skeleton of reviewed-equivalence entries for a grid report's survivors")
    v.add_argument("report", type=Path)
    v.add_argument("spec", help="the example spec the grid ran first (renders the template files)")
    w = sub.add_parser("rescore", help="apply the reviewed-equivalence files to a grid report (same RTL); rewrites it")
    w.add_argument("report", type=Path)
    w.add_argument("spec", help="the example spec the grid ran first")
    args = ap.parse_args()
    {"run": run, "remaining": remaining, "summary": summary, "grid": grid, "review": review,
     "rescore": rescore}[args.cmd](args)


if __name__ == "__main__":
    main()
