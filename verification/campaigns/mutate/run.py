"""Running a mutation campaign: each mutant's derived bench on Icarus in parallel, then proofs and reviewed
arguments on the survivors; one spec (``mutate``) or a template file over its grid (``mutate_across``)."""

from __future__ import annotations

import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from accelsmith.errors import UsageError
from accelsmith.fanout import ROOT, fan_out
from accelsmith.spec import BlockSpec
from accelsmith.verification._derive import derive
from accelsmith.verification._sim import run_bench
from accelsmith.verification.campaigns.mutate.equivalence import (PARAMS_UNCHANGED, _apply_reviews, parameters_unchanged,
                                                                   prove_equivalent)
from accelsmith.verification.campaigns.mutate.operators import Mutant, generate_mutants
from accelsmith.verification.campaigns.mutate.report import MutantResult, _report


def _run_one(mutant: Mutant, files: dict[str, str], top: str, plan, root: Path, timeout_s: float) -> MutantResult:
    t0 = time.perf_counter()
    folder = root / mutant.id
    rtl = folder / "rtl"
    rtl.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in mutant.apply(files).items():
        (rtl / name).write_text(text)
        paths.append(rtl / name)
    res = run_bench(paths, top, plan, folder / "bench", sim="icarus", timeout_s=timeout_s, fail_fast=True,
                    use_cache=False)  # a mutant is built once; caching it would only fill the disk
    dt = time.perf_counter() - t0
    shutil.rmtree(folder, ignore_errors=True)  # sim folders are large; results are in memory
    if not res.built:
        return MutantResult(mutant, "stillborn", "; ".join(d.message for d in res.diagnostics[:1]), dt)
    if res.timed_out:
        return MutantResult(mutant, "killed", "wall-clock timeout", dt)
    failed = [c["case"] for c in res.cases if not c["passed"] and not c.get("skipped_after")]
    return MutantResult(mutant, "killed" if failed else "survived", ",".join(failed[:3]), dt)


def mutate(spec: BlockSpec, *, jobs: int = 2, max_mutants: int | None = 150, timeout_s: float = 120.0,
           workdir: Path | None = None, prove: bool = True, progress=None, only: list[str] | None = None,
           ray_address: str | None = None) -> dict:
    """Mutation-test ``spec``'s template with its derived bench on Icarus; returns the report dict. Each mutant's
    bench is one unit of ``accelsmith.fanout.fan_out`` (local threads, or Ray tasks at ``ray_address``).

    ``only``: mutant ids (as in an earlier full report) to re-run, e.g. the survivors after a plan change.
    """
    from accelsmith import hw_templates

    bundle = hw_templates.get(spec.kind).render(spec)
    plan = derive(spec)
    root = Path(workdir or tempfile.mkdtemp(prefix="accelsmith_mutate_"))
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    baseline = run_bench(bundle.write(root / "orig" / "rtl"), bundle.top, plan, root / "orig" / "bench",
                         sim="icarus", timeout_s=timeout_s)
    if not baseline.passed:
        raise RuntimeError(f"the unmutated {spec.kind} design fails its own bench: {baseline.summary()}")
    mutants = generate_mutants(bundle.files, max_mutants=None if only else max_mutants, seed=spec.seed)
    if only:
        mutants = [m for m in mutants if m.id in set(only)]
    results: list[MutantResult] = fan_out(_run_one, [(m, bundle.files, bundle.top, plan, ROOT, timeout_s)
                                                      for m in mutants], root, jobs=jobs, ray_address=ray_address,
                                          progress=progress)
    for r in results:  # cheap and sound first: an edit that changes no elaborated parameter changes nothing
        if r.status == "survived" and parameters_unchanged(r.mutant, bundle.files):
            r.status, r.detail = "equivalent", PARAMS_UNCHANGED
    if prove:  # survivors only; each proof is its own yosys process, so they run in parallel too
        survivors = [r for r in results if r.status == "survived"]

        def _prove(r: MutantResult) -> tuple[bool, str]:
            return prove_equivalent(bundle.files, r.mutant.apply(bundle.files), bundle.top, root / "equiv" / r.mutant.id)

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for r, (proved, log) in zip(survivors, pool.map(_prove, survivors)):
                if proved:
                    r.status, r.detail = "equivalent", "yosys equiv_simple/equiv_induct proved all outputs equal"
                else:
                    r.detail = f"equivalence not proved: {log.splitlines()[-1] if log else ''}"
    _apply_reviews(results, bundle.files)
    if workdir is None:  # results are in memory; the temporary folder holds only builds and proofs
        shutil.rmtree(root, ignore_errors=True)
    return _report(spec, results, time.perf_counter() - t0)


def _key(m: Mutant) -> tuple[str, int, int, str]:
    return (m.file, m.start, m.end, m.replacement)


def mutate_across(specs: list[BlockSpec], *, jobs: int = 2, timeout_s: float = 120.0, workdir: Path | None = None,
                  progress=None, known: dict[str, str] | None = None, only: list[str] | None = None,
                  prove: bool = False, prove_timeout_s: float = 120.0, ray_address: str | None = None) -> dict:
    """Mutation-test one template over several specs (e.g. its regression grid): the template's verification.

    Only the template's own RTL is mutated: the files that render to the same text for every spec (the
    generated per-spec top is left to :func:`mutate`). Specs run in order, each only on the mutants that no
    earlier spec killed, so a mutant survives only when every spec's bench passes it; a survivor is judged
    equivalent only when ``parameters_unchanged`` holds, or (``prove``) yosys proves it, for every spec, so
    "equivalent" means equivalent over these specs, as "killed" means killed by one of them. ``known`` maps mutant ids of an
    earlier :func:`mutate` run on ``specs[0]`` (ids over that spec's whole bundle) to their status, so its
    killed and stillborn mutants are not run again; ``only`` restricts the run to these template mutant ids.
    """
    from accelsmith import hw_templates

    if not specs or len({s.kind for s in specs}) != 1:
        raise UsageError("mutate_across needs one or more specs of one kind")
    bundles = [hw_templates.get(s.kind).render(s) for s in specs]
    shared = sorted(n for n in bundles[0].files if all(b.files.get(n) == bundles[0].files[n] for b in bundles))
    if not shared:
        raise UsageError(f"no {specs[0].kind} RTL file renders the same for every spec")
    mutants = generate_mutants({n: bundles[0].files[n] for n in shared})
    if only is not None:
        mutants = [m for m in mutants if m.id in set(only)]
    first_ids = {_key(m): m.id for m in generate_mutants(bundles[0].files, seed=specs[0].seed)}
    root = Path(workdir or tempfile.mkdtemp(prefix="accelsmith_mutate_"))
    t0 = time.perf_counter()
    status: dict[str, str] = {}
    detail: dict[str, str] = {}
    killer: dict[str, str] = {}   # mutant id -> label of the spec whose bench killed it
    stillborn: dict[str, list[str]] = {m.id: [] for m in mutants}
    for m in mutants:
        prior = (known or {}).get(first_ids.get(_key(m), ""))
        if prior == "killed":
            status[m.id], detail[m.id], killer[m.id] = "killed", f"{specs[0].label} (earlier run)", specs[0].label
        elif prior == "stillborn":
            stillborn[m.id].append(specs[0].label)
    for i, (spec, bundle) in enumerate(zip(specs, bundles)):
        todo = [m for m in mutants if m.id not in status and not (i == 0 and (known or {}).get(first_ids.get(_key(m), "")))]
        if not todo:
            continue
        plan = derive(spec)
        sroot = root / f"s{i}"
        tb = time.perf_counter()
        baseline = run_bench(bundle.write(sroot / "orig" / "rtl"), bundle.top, plan, sroot / "orig" / "bench",
                             sim="icarus", timeout_s=max(timeout_s, 600.0))
        if not baseline.passed:
            raise RuntimeError(f"the unmutated {spec.kind} design fails its own bench for {spec.label}: "
                               f"{baseline.summary()}")
        limit = max(timeout_s, 3 * (time.perf_counter() - tb))  # a mutant 3x slower than the original is hung
        done = fan_out(_run_one, [(m, bundle.files, bundle.top, plan, ROOT, limit) for m in todo], sroot, jobs=jobs,
                       ray_address=ray_address, progress=(lambda r, s=spec: progress(s, r)) if progress else None)
        for m, r in zip(todo, done):
            if r.status == "killed":
                status[m.id], detail[m.id], killer[m.id] = "killed", f"{spec.label}: {r.detail}", spec.label
            elif r.status == "stillborn":
                stillborn[m.id].append(spec.label)
                detail.setdefault(m.id, r.detail)
    results = []
    for m in mutants:
        st = status.get(m.id)
        if st is None:
            ran_and_built = len(stillborn[m.id]) < len(specs)
            st = "survived" if ran_and_built else "stillborn"
            if st == "survived":
                detail[m.id] = f"passed {len(specs) - len(stillborn[m.id])} spec(s)"
                if all(parameters_unchanged(m, b.files) for b in bundles):
                    st, detail[m.id] = "equivalent", PARAMS_UNCHANGED + f", for all {len(specs)} specs"
        results.append(MutantResult(m, st, detail.get(m.id, "")))
    if prove:
        survivors = [r for r in results if r.status == "survived"]

        def _prove(r: MutantResult) -> str:
            for i, b in enumerate(bundles):
                ok, log = prove_equivalent(b.files, r.mutant.apply(b.files), b.top, root / "equiv" / f"{r.mutant.id}_s{i}",
                                           timeout_s=prove_timeout_s)
                if not ok:
                    return f"equivalence not proved for {specs[i].label}: {log.splitlines()[-1] if log else ''}"
            return ""

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for r, why in zip(survivors, pool.map(_prove, survivors)):
                if why:
                    r.detail += f"; {why}"
                else:
                    r.status, r.detail = "equivalent", f"yosys equiv_simple/equiv_induct proved for all {len(specs)} specs"
    _apply_reviews(results, bundles[0].files)
    report = _report(specs[0], results, time.perf_counter() - t0)
    report.update(spec=", ".join(s.label for s in specs), summary=f"{len(specs)} specs, files {', '.join(shared)}",
                  specs=[s.label for s in specs], files=shared,
                  killed_by_spec={s.label: sum(k == s.label for k in killer.values()) for s in specs})
    if workdir is None:  # the bench folders are gone already; drop the proofs' too
        shutil.rmtree(root, ignore_errors=True)
    return report


