"""Regression: every template over a representative spec grid, on each simulator, in parallel; JUnit out."""

from __future__ import annotations

import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from accelsmith.errors import UnknownName
from accelsmith.fanout import ROOT, Interrupted, Needs, fan_out
from accelsmith.spec import BlockSpec, spec_from_dict

# The tiers: ``fast`` (the CI grid of small corners; a kind that names none gets its default spec) and ``scale``
# (real model sizes: all-MiniLM-L6-v2's blocks at the sizes `optimize` derives for it, seq 128 -- a 32x32 int8
# array with K tile 384, softmax over 128, attention D=32 S=128, GELU, a 32-lane requantiser -- plus a 16x16
# array; LayerNorm H=384 is in the fast grid already). Each kind's rows live on its spec class (``grid``).
TIERS = {"fast": ("fast",), "scale": ("scale",), "all": ("fast", "scale")}


def grid_specs(kinds: list[str] | None = None, tier: str = "fast") -> list[BlockSpec]:
    """The regression specs for ``kinds`` (default: every kind with a template) in ``tier``: ``fast`` (the CI grid
    of small corners), ``scale`` (real model sizes) or ``all``."""
    from accelsmith import hw_templates

    known = hw_templates.known_templates()
    for k in kinds or []:
        hw_templates.get(k)  # a miss: "unknown template 'k'; known: ..."
    if tier not in TIERS:
        raise UnknownName(f"unknown regression tier {tier!r}; known: {', '.join(TIERS)}")
    specs = []
    for t in TIERS[tier]:
        specs += _tier_specs(t, kinds or known)
    return specs


def _tier_specs(tier: str, kinds: list[str]) -> list[BlockSpec]:
    from accelsmith.spec import spec_class

    specs = []
    for kind in kinds:
        cls = spec_class(kind)
        rows = cls.grid.get(tier)
        if rows:
            specs += [spec_from_dict({"kind": kind, **row}, source=f"grid {kind}") for row in rows]
        elif tier == "fast":
            specs.append(cls(name=f"{kind}_default"))
    return specs


def grid_sharing(spec: BlockSpec, skip: tuple[str, ...] = ()) -> list[BlockSpec]:
    """``spec``, then the grid specs of its kind that render the same template file (gemm's output- and
    weight-stationary forms are different files), minus the names in ``skip``: one template's mutation grid."""
    from accelsmith import hw_templates

    files = set(hw_templates.get(spec.kind).render(spec).files)
    out = [spec]
    for g in grid_specs([spec.kind]):
        if g.label not in skip and g.spec_hash != spec.spec_hash and files & set(hw_templates.get(g.kind).render(g).files):
            out.append(g)
    return out


FORMAL = "formal"  # the pseudo-simulator name of a handshake-proof run in a regression


def _run(spec: BlockSpec, sim: str, root: Path, design=None, formal: dict | None = None) -> dict:
    """One bench: the template rendered for ``spec``, or a user's ``design`` (``_user.UserDesign``) as given; with
    ``sim == FORMAL`` the handshake proof (``formal``: ``depth``, ``timeout_s``) instead of a simulation."""
    from accelsmith import hw_templates
    from accelsmith.errors import UnsafeRTL
    from accelsmith.rtl import RtlBundle
    from accelsmith.verification._derive import derive
    from accelsmith.verification._limits import cross_check_plan
    from accelsmith.verification._sim import run_bench

    t0 = time.perf_counter()
    bundle = RtlBundle(files=design.files, top=design.top) if design else hw_templates.get(spec.kind).render(spec)
    name = f"{design.name} (yours)" if design else spec.label
    folder = root / f"{design.name + '_user' if design else spec.label}_{sim}"
    if sim == FORMAL:
        return _run_formal(spec, bundle, name, folder, design is not None, formal or {}, t0)
    plan = derive(spec)
    if sim != "verilator":  # the slow simulator cross-checks a large design on a reduced plan, as design runs do
        plan = cross_check_plan(sim, spec.design_units, plan)
    row = {"name": name, "kind": spec.kind, "sim": sim, "user": design is not None,
           "reduced_plan": plan.coverage.get("reduced_cross_check", False)}
    try:
        res = run_bench(bundle.write(folder / "rtl"), bundle.top, plan, folder / "bench", sim=sim,
                        units=spec.design_units, size=spec.size_label)
    except UnsafeRTL as err:  # a user's design the scan refuses is a failed row, not a failed regression run
        return {**row, "passed": False, "summary": f"{sim}: refused by the security scan", "cases": [],
                "diagnostics": [str(err)], "seconds": time.perf_counter() - t0}
    return {**row, "passed": res.passed, "summary": res.summary(), "cases": res.cases,
            "diagnostics": [d.one_line() for d in res.diagnostics], "seconds": time.perf_counter() - t0}


def _run_formal(spec: BlockSpec, bundle, name: str, folder: Path, user: bool, formal: dict, t0: float) -> dict:
    """The handshake proof as a regression row: one case per property; ``failed`` and ``error`` fail the row,
    ``bounded`` and ``timeout`` do not (no counterexample was found) and are counted apart."""
    from accelsmith.errors import UnsafeRTL
    from accelsmith.verification._formal import formal_summary, prove_rtl, verdict_text

    row = {"name": name, "kind": spec.kind, "sim": FORMAL, "user": user, "reduced_plan": False}
    try:
        rep = prove_rtl(bundle, spec.ports(), folder, label=name, **formal)
    except UnsafeRTL as err:
        return {**row, "passed": False, "summary": "formal: refused by the security scan", "cases": [],
                "diagnostics": [str(err)], "seconds": time.perf_counter() - t0}
    cases = [{"case": p["property"], "passed": p["status"] not in ("failed", "error"), "verdict": verdict_text(p),
              "status": p["status"], "seconds": p["seconds"]} for p in rep["properties"]]
    return {**row, "passed": rep["passed"], "summary": f"formal: {formal_summary(rep['properties'])}", "cases": cases,
            "diagnostics": [f"{c['case']}: {c['verdict']}" for c in cases if not c["passed"]],
            "formal": rep["properties"], "seconds": time.perf_counter() - t0}


def _needs(args: tuple) -> Needs:
    """A run's declared needs: one CPU; a Verilator build's memory grows with the design (an estimate)."""
    spec, sim = args[0], args[1]
    return Needs(cpus=1.0, memory_mb=1024 + 2 * spec.design_units if sim == "verilator" else 512)


def write_junit(results: list[dict], path: Path) -> Path:
    suites = ET.Element("testsuites")
    for r in results:
        suite = ET.SubElement(suites, "testsuite", name=f"{r['name']}.{r['sim']}", time=f"{r['seconds']:.2f}",
                              tests=str(max(1, len(r["cases"]))),
                              failures=str(sum(not c["passed"] for c in r["cases"]) or int(not r["passed"])))
        if not r["cases"]:
            tc = ET.SubElement(suite, "testcase", classname=f"{r['kind']}.{r['name']}", name=f"build[{r['sim']}]")
            ET.SubElement(tc, "failure", message=r["summary"]).text = "\n".join(r["diagnostics"])
        for c in r["cases"]:
            tc = ET.SubElement(suite, "testcase", classname=f"{r['kind']}.{r['name']}", name=f"{c['case']}[{r['sim']}]")
            if "verdict" in c:  # a formal property: failures fail, unfinished proofs are reported as skipped
                if not c["passed"]:
                    ET.SubElement(tc, "failure", message=c["verdict"])
                elif c["status"] != "proved":
                    ET.SubElement(tc, "skipped", message=c["verdict"])
            elif not c["passed"]:
                first = (c.get("mismatches") or [{}])[0]
                ET.SubElement(tc, "failure", message=f"timed_out={c.get('timed_out')} first mismatch={first}")
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
    return path


def regress(*, jobs: int = 2, junit: Path | None = None, kinds: list[str] | None = None,
            sims: list[str] = ("icarus", "verilator"), workdir: Path | None = None, progress=None,
            tier: str = "fast", designs: list | None = None, templates: bool = True,
            formal: dict | None = None, ray_address: str | None = None) -> dict:
    """Run the grid (unless ``templates`` is False) and the user's ``designs`` (``_user.load_designs``) on every
    simulator; Verilator runs start first (longest builds) so the parallel tail stays short. With ``formal``
    (``prove_rtl``'s ``depth`` and ``timeout_s``) every spec also gets the handshake proof, as one more run.
    Each run is one unit of ``accelsmith.fanout.fan_out``: ``jobs`` local threads, or a Ray task each on the
    cluster at ``ray_address``."""
    from accelsmith.verification._sim import get_simulator

    for s in sims:
        get_simulator(s)
    root = Path(workdir or tempfile.mkdtemp(prefix="accelsmith_regress_"))
    order = {"verilator": 0}
    # the longest runs first (large designs, Verilator builds) so the parallel tail stays short
    items = [(spec, None) for spec in (grid_specs(kinds, tier) if templates else [])]
    items += [(d.spec, d) for d in designs or []]
    runs = [*sims, FORMAL] if formal is not None else list(sims)
    work = sorted(((spec, sim, d) for spec, d in items for sim in runs),
                  key=lambda w: (-w[0].design_units * (1 if w[1] == "verilator" else 4), order.get(w[1], 1)))
    t0 = time.perf_counter()
    try:
        results = fan_out(_run, [(spec, sim, ROOT, d, formal) for spec, sim, d in work], root, jobs=jobs,
                          ray_address=ray_address, needs=_needs, progress=progress)
    except Interrupted as stop:  # Ctrl-C: what finished is kept (JUnit too)
        if junit:
            write_junit([r for r in stop.done if r is not None], Path(junit))
        raise
    wall = time.perf_counter() - t0
    if junit:
        write_junit(results, Path(junit))
    by_kind: dict[str, dict] = {}
    for r in results:
        row = by_kind.setdefault(r["kind"] + (" (yours)" if r.get("user") else ""),
                                 {"specs": set(), "runs": 0, "failed": 0, "formal": []})
        row["specs"].add(r["name"])
        row["runs"] += 1
        row["failed"] += not r["passed"]
        row["formal"] += r.get("formal", [])
    for row in by_kind.values():
        row["specs"] = len(row["specs"])
    return {"runs": len(results), "failed": sum(not r["passed"] for r in results), "wall_s": wall,
            "jobs": jobs, "by_kind": by_kind, "results": results}
