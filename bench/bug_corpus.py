"""The realistic-bug corpus (tests/data/bugs/bugs.yaml) against the derived benches: is each bug killed?

    .venv/bin/python bench/bug_corpus.py [--sim icarus|verilator|both] [--jobs N] [--only ID ...] [--out FILE]

Each bug is one find/replace edit of a rendered template file. Its spec's unedited design must pass its bench
first (else every bug of that spec is reported as 'baseline failed'); then the edited design runs the derived
bench (``run_bench``, fail_fast, no build cache) in its own folder. A bug is killed when a case fails or the run
hits its time limit, survived when every case passes, stillborn when it does not build (a corpus error: every
bug must build on both simulators). Prints one row per bug, killed/total per template file and per family, the
wall time, and writes one JSON line per (bug, simulator) under bench/results/.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import functools
import json
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "bugs" / "bugs.yaml"
RESULTS = ROOT / "bench" / "results"
FAMILIES = ("reset_mid_job", "idle_input", "valid_waits_ready", "rate", "train_stall", "ties_extremes", "functional")
TEMPLATE_FILES = ("gemm_os.v", "gemm_ws.v", "requant.v", "softmax.v", "norm.v", "activation.v", "attention.v")
FIELDS = ("id", "file", "spec", "family", "find", "replace", "why")
MIN_BUGS, MIN_PER_FILE = 36, 4


def load_corpus(path: Path = CORPUS) -> list[dict]:
    bugs = yaml.safe_load(path.read_text())
    if not isinstance(bugs, list):
        raise ValueError(f"{path.name}: expected a list of bugs, got {type(bugs).__name__}")
    return bugs


@functools.cache
def _grid() -> dict:
    from accelsmith.verification.campaigns.regress import grid_specs

    return {s.label: s for s in grid_specs(None, tier="fast")}  # validating every grid spec takes seconds: once


def bug_spec(bug: dict):
    """The bug's spec: a fast-grid spec by name, or an inline spec dict with ``kind``."""
    from accelsmith.spec import spec_from_dict

    if isinstance(bug["spec"], dict):
        return spec_from_dict(bug["spec"], source=f"bug {bug['id']}")
    named = _grid()
    if bug["spec"] not in named:
        raise ValueError(f"bug {bug['id']}: unknown grid spec {bug['spec']!r}; known: {', '.join(sorted(named))}")
    return named[bug["spec"]]


def bug_files(bug: dict, spec=None) -> tuple[dict[str, str], str]:
    """The rendered bundle with the bug applied: (files, top). Raises ValueError unless find occurs exactly once."""
    from accelsmith import hw_templates

    spec = spec or bug_spec(bug)
    bundle = hw_templates.get(spec.kind).render(spec)
    text = bundle.files.get(bug["file"])
    if text is None:
        raise ValueError(f"bug {bug['id']}: {spec.label} renders no {bug['file']!r}; files: {', '.join(bundle.files)}")
    n = text.count(bug["find"])
    if n != 1:
        raise ValueError(f"bug {bug['id']}: find text occurs {n} times in {bug['file']}, expected exactly once")
    return {**bundle.files, bug["file"]: text.replace(bug["find"], bug["replace"])}, bundle.top


def corpus_problems(bugs: list[dict]) -> list[str]:
    """Everything wrong with the corpus as data (no simulator needed); empty when it is sound."""
    problems = []
    ids = collections.Counter(b.get("id") for b in bugs if isinstance(b, dict))
    problems += [f"duplicate id {i!r}" for i, n in ids.items() if n > 1]
    for b in bugs:
        if not isinstance(b, dict) or set(b) != set(FIELDS):
            problems.append(f"entry {b.get('id') if isinstance(b, dict) else b!r}: needs exactly {', '.join(FIELDS)}")
            continue
        if b["family"] not in FAMILIES:
            problems.append(f"bug {b['id']}: unknown family {b['family']!r}; known: {', '.join(FAMILIES)}")
        if b["file"] not in TEMPLATE_FILES:
            problems.append(f"bug {b['id']}: {b['file']!r} is not a template file")
        if b["find"] == b["replace"] or len(str(b["why"]).split()) < 12:
            problems.append(f"bug {b['id']}: no edit, or a why too short to say what is wrong and what exposes it")
        try:
            bug_files(b)
        except ValueError as err:
            problems.append(str(err))
    per_file = collections.Counter(b.get("file") for b in bugs if isinstance(b, dict))
    families = {b.get("family") for b in bugs if isinstance(b, dict)}
    if len(bugs) < MIN_BUGS:
        problems.append(f"{len(bugs)} bugs, expected at least {MIN_BUGS}")
    problems += [f"{f}: {per_file[f]} bugs, expected at least {MIN_PER_FILE}" for f in TEMPLATE_FILES
                 if per_file[f] < MIN_PER_FILE]
    problems += [f"family {f} has no bug" for f in FAMILIES if f not in families]
    return problems


def judge(res) -> tuple[str, str]:
    """(status, first failing case or reason) of one bench run of an edited design."""
    if not res.built and not res.timed_out:
        return "stillborn", "; ".join(d.message for d in res.diagnostics[:1])
    if res.timed_out:
        return "killed", f"{res.limit_hit or 'time'} limit"
    failed = [c["case"] for c in res.cases if not c["passed"] and not c.get("skipped_after")]
    return ("killed", failed[0]) if failed else ("survived", "")


def run_bug(bug: dict, sim: str, root: Path, timeout_s: float | None = None, keep: bool = False) -> dict:
    """Run the derived bench on the bug's edited design in ``root/<sim>/<id>``; one result row."""
    from accelsmith.verification._derive import derive
    from accelsmith.verification._sim import run_bench

    t0 = time.perf_counter()
    spec = bug_spec(bug)
    files, top = bug_files(bug, spec)
    folder = root / sim / bug["id"]
    (folder / "rtl").mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        (folder / "rtl" / name).write_text(text)
        paths.append(folder / "rtl" / name)
    res = run_bench(paths, top, derive(spec), folder / "bench", sim=sim, timeout_s=timeout_s, fail_fast=True,
                    use_cache=False)
    status, first = judge(res)
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)  # sim folders are large; the row says what happened
    return {"id": bug["id"], "file": bug["file"], "family": bug["family"], "spec": spec.label, "sim": sim,
            "status": status, "first_failing_case": first, "seconds": round(time.perf_counter() - t0, 1)}


def run_baseline(spec, sim: str, root: Path) -> tuple[bool, str, float]:
    """(passed, summary, wall seconds) of the unedited design on its full bench."""
    from accelsmith import hw_templates
    from accelsmith.verification._derive import derive
    from accelsmith.verification._sim import run_bench

    bundle = hw_templates.get(spec.kind).render(spec)
    folder = root / sim / f"baseline_{spec.label}"
    res = run_bench(bundle.write(folder / "rtl"), bundle.top, derive(spec), folder / "bench", sim=sim)
    shutil.rmtree(folder, ignore_errors=True)
    return res.passed, res.summary(), res.wall_s


def summarize(rows: list[dict], key: str) -> dict[str, dict[str, tuple[int, int]]]:
    """{sim: {key value: (killed, scored)}}; scored counts killed + survived (not stillborn, not baseline failed)."""
    out: dict[str, dict[str, list[int]]] = {}
    for r in rows:
        cell = out.setdefault(r["sim"], {}).setdefault(r[key], [0, 0])
        cell[0] += r["status"] == "killed"
        cell[1] += r["status"] in ("killed", "survived")
    return {sim: {k: tuple(v) for k, v in sorted(d.items())} for sim, d in out.items()}


def format_table(rows: list[dict], sims: list[str], wall_s: float) -> str:
    lines = [f"{'id':<40} {'file':<13} {'family':<18} {'sim':<9} {'status':<10} first failing case / reason"]
    for r in rows:
        lines.append(f"{r['id']:<40} {r['file']:<13} {r['family']:<18} {r['sim']:<9} {r['status']:<10} "
                     f"{r['first_failing_case']}")
    for key, title, order in (("file", "per template file", TEMPLATE_FILES), ("family", "per family", FAMILIES)):
        table = summarize(rows, key)
        lines += ["", f"killed / total {title}: " + "  ".join(f"[{s}]" for s in sims)]
        for k in order:
            cells = [table.get(s, {}).get(k) for s in sims]
            if any(cells):
                lines.append(f"  {k:<20} " + "  ".join(f"{c[0]:>3}/{c[1]:<3}" if c else "  -    " for c in cells))
    total = summarize(rows, "sim")
    lines.append("")
    for s in sims:
        k, n = total.get(s, {}).get(s, (0, 0))
        other = collections.Counter(r["status"] for r in rows if r["sim"] == s and r["status"] not in ("killed", "survived"))
        lines.append(f"{s}: {k} / {n} killed" + "".join(f", {v} {st}" for st, v in sorted(other.items())))
    lines.append(f"wall {wall_s:.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sim", choices=("icarus", "verilator", "both"), default="icarus")
    ap.add_argument("--jobs", type=int, default=2, help="benches in parallel (default 2)")
    ap.add_argument("--only", nargs="+", metavar="ID", help="run only these bug ids")
    ap.add_argument("--out", type=Path, help="JSON lines output (default bench/results/bug_corpus_<date>.jsonl)")
    ap.add_argument("--workdir", type=Path, help="keep the bench folders here (default: a temporary folder, removed)")
    args = ap.parse_args(argv)

    bugs = load_corpus()
    problems = corpus_problems(bugs)
    if problems:
        print("corpus problems:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    if args.only:
        unknown = sorted(set(args.only) - {b["id"] for b in bugs})
        if unknown:
            print(f"unknown bug id(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        bugs = [b for b in bugs if b["id"] in set(args.only)]
    sims = ["icarus", "verilator"] if args.sim == "both" else [args.sim]
    root = args.workdir or Path(tempfile.mkdtemp(prefix="accelsmith_bugs_"))
    out = args.out or RESULTS / f"bug_corpus_{datetime.date.today().isoformat()}.jsonl"
    t0 = time.perf_counter()

    specs = {b["id"]: bug_spec(b) for b in bugs}
    pairs = sorted({(specs[b["id"]].label, sim) for b in bugs for sim in sims})
    by_label = {s.label: s for s in specs.values()}
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:  # each bench is its own process; threads only wait
        base = dict(zip(pairs, pool.map(lambda p: run_baseline(by_label[p[0]], p[1], root), pairs)))
    for (label, sim), (ok, summary, _) in base.items():
        if not ok:
            print(f"baseline: the unedited {label} fails its own bench on {sim} ({summary}); its bugs are not run")
    work = [(b, sim) for sim in sims for b in bugs]
    rows: list[dict] = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = []
        for b, sim in work:
            ok, summary, wall = base[(specs[b["id"]].label, sim)]
            if ok:  # a bug whose bench runs 4x longer than the passing design is hung: killed by its limit
                futures.append(pool.submit(run_bug, b, sim, root, max(60.0, 4 * wall), args.workdir is not None))
            else:
                futures.append(None)
                rows.append({"id": b["id"], "file": b["file"], "family": b["family"], "spec": specs[b["id"]].label,
                             "sim": sim, "status": "baseline failed", "first_failing_case": summary, "seconds": 0.0})
        for fut in futures:
            if fut is not None:
                rows.append(fut.result())
                r = rows[-1]
                print(f"  {r['sim']:<9} {r['id']:<40} {r['status']:<10} {r['first_failing_case']}", flush=True)
    wall = time.perf_counter() - t0
    if args.workdir is None:
        shutil.rmtree(root, ignore_errors=True)
    order = {(b["id"], sim): i for i, (b, sim) in enumerate((b, s) for b in bugs for s in sims)}
    rows.sort(key=lambda r: order[(r["id"], r["sim"])])
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    print()
    print(format_table(rows, sims, wall))
    print(f"rows: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
