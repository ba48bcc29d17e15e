"""Regression: every template over a representative spec grid, on each simulator, in parallel; JUnit out."""

from __future__ import annotations

import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from accelsmith.spec import BlockSpec, spec_from_dict

# kind -> spec fields; each grid names corners of its spec space (widths, rounding, dataflow, sizes)
GRID: dict[str, list[dict]] = {
    "gemm": [
        {"name": "gemm_os_4x4_int8", "rows": 4, "cols": 4, "k": 8},
        {"name": "gemm_os_3x2_int4_sat", "rows": 3, "cols": 2, "k": 5, "in_bits": 4, "acc_bits": 8,
         "overflow": "saturate"},
        {"name": "gemm_os_2x3_int8_k1", "rows": 2, "cols": 3, "k": 1},  # ROWS = 2 and K = 1 edges
        {"name": "gemm_ws_4x3_int4_sat", "rows": 4, "cols": 3, "k": 10, "in_bits": 4, "acc_bits": 8,
         "overflow": "saturate", "dataflow": "weight_stationary"},
        {"name": "gemm_ws_3x2_uint4_sat_k2", "rows": 3, "cols": 2, "k": 2, "in_bits": 4, "signed": False,
         "acc_bits": 8, "overflow": "saturate", "dataflow": "weight_stationary"},  # K < ROWS: a short first fold
        {"name": "gemm_ws_2x4_uint8", "rows": 2, "cols": 4, "k": 6, "signed": False, "acc_bits": 16,
         "dataflow": "weight_stationary"},
    ],
    "requant": [
        {"name": "requant_int8_default"},
        {"name": "requant_int4_per_channel_nearest", "lanes": 4, "multipliers": [3, 5, 7, 9, 11, 13, 1 << 20, 1],
         "shifts": [1, 2, 3, 0, 4, 5, 22, 8], "out_bits": 4, "in_bits": 16, "zero_point": -3, "rounding": "nearest"},
        {"name": "requant_wrap_3lane", "lanes": 3, "saturation": False, "zero_point": 5, "multipliers": [12345],
         "shifts": [9]},
    ],
    "attention": [
        {"name": "attention_d4_s7_b2", "head_dim": 4, "kv_block": 2, "seq_len": 7},
        # prob_bits 12: table entries not a power of two wide; kv_block 8, seq_len a multiple of it
        {"name": "attention_d4_s16_b8_p12", "head_dim": 4, "kv_block": 8, "seq_len": 16, "prob_bits": 12},
    ],
    "softmax": [
        {"name": "softmax_16x4_q3_4"},
        {"name": "softmax_12x1_q4_3", "length": 12, "lanes": 1, "in_frac": 3, "max_abs_error": 0.01},
        # 3 lanes (not a power of two), output wider than its fraction bits (no clamp), 5-bit exp table
        {"name": "softmax_12x3_q4_2", "length": 12, "lanes": 3, "in_bits": 6, "in_frac": 2, "out_bits": 10,
         "out_frac": 8, "exp_table_bits": 5, "max_abs_error": 0.01},
    ],
    "norm": [
        {"name": "layernorm_16x4"},
        {"name": "layernorm_384x4", "hidden": 384},  # all-MiniLM-L6-v2's hidden size: sums wider than x*x
        {"name": "rmsnorm_12x3_gamma", "norm": "rmsnorm", "hidden": 12, "lanes": 3, "out_frac": 4,
         "gamma": [100, -50, 64, 20, 1, 127, -128, 64, 64, 64, 3, 90], "max_abs_error": 0.1},
        # per-element gamma and non-zero beta (beta's sign, saturation, gamma/beta widths)
        {"name": "layernorm_8x2_affine", "hidden": 8, "lanes": 2, "out_frac": 5,
         "gamma": [64, 100, -64, 20, 127, -128, 48, 1], "beta": [0, 5, -7, 100, -100, 1, -1, 33],
         "max_abs_error": 0.1},
        # rmsnorm, power-of-two H in one beat: the top bits of S2 and V
        {"name": "rmsnorm_4x4_nb1", "norm": "rmsnorm", "hidden": 4, "lanes": 4, "out_frac": 4,
         "gamma": [127, -128, 64, -1], "max_abs_error": 0.1},
        # H not a power of two in one beat: the top bits of S1 and S1^2; 6-bit outputs, signed gamma and beta
        {"name": "layernorm_6x6_nb1", "hidden": 6, "lanes": 6, "out_bits": 6, "out_frac": 3, "gamma_bits": 7,
         "gamma_frac": 5, "gamma": [63, -64, 32, 17, -5, 40], "beta": [0, 3, -4, 31, -32, 1], "max_abs_error": 0.1},
        # H = 2 with eps = 0.25: V = 2 < 4 is reachable (the leading-one search's default)
        {"name": "layernorm_2x1_small_v", "hidden": 2, "lanes": 1, "in_bits": 4, "in_frac": 0, "out_frac": 5,
         "gamma": [64], "beta": [-3], "eps": 0.25, "max_abs_error": 0.05},
    ],
}


# The scale tier: all-MiniLM-L6-v2's blocks at the sizes `optimize` derives for it (seq 128: a 32x32 int8 array
# with K tile 384, softmax over 128, attention D=32 S=128, GELU, a 32-lane requantiser) plus a 16x16 array.
# LayerNorm H=384 is in the fast grid already (layernorm_384x4 is the same spec).
SCALE_GRID: dict[str, list[dict]] = {
    "gemm": [
        {"name": "minilm_gemm_16x16_int8_k384", "rows": 16, "cols": 16, "k": 384, "acc_bits": 28},
        {"name": "minilm_gemm_32x32_int8_k384", "rows": 32, "cols": 32, "k": 384, "acc_bits": 28},
    ],
    "softmax": [{"name": "minilm_softmax_len128", "length": 128, "in_bits": 8}],
    "attention": [{"name": "minilm_attention_d32_s128", "head_dim": 32, "seq_len": 128}],
    "activation": [{"name": "minilm_gelu", "function": "gelu", "in_bits": 8}],
    "requant": [{"name": "minilm_requant_32to8", "in_bits": 32, "out_bits": 8, "lanes": 32}],
}
TIERS = {"fast": (GRID,), "scale": (SCALE_GRID,), "all": (GRID, SCALE_GRID)}


def grid_specs(kinds: list[str] | None = None, tier: str = "fast") -> list[BlockSpec]:
    """The regression specs for ``kinds`` (default: every template; kinds without a grid use defaults) in ``tier``:
    ``fast`` (the CI grid of small corners), ``scale`` (real model sizes) or ``all``."""
    from accelsmith import hw_templates

    known = hw_templates.known_templates()
    for k in kinds or []:
        if k not in known:
            raise ValueError(f"unknown template {k!r}; known: {', '.join(known)}")
    if tier not in TIERS:
        raise ValueError(f"unknown regression tier {tier!r}; known: {', '.join(TIERS)}")
    specs = []
    for grid in TIERS[tier]:
        specs += _tier_specs(grid, kinds or known, defaults=grid is GRID)
    return specs


def _tier_specs(grid: dict[str, list[dict]], kinds: list[str], defaults: bool) -> list[BlockSpec]:
    from accelsmith.spec import spec_class

    specs = []
    for kind in kinds:
        rows = grid.get(kind)
        if not rows and not defaults:
            continue
        specs += [spec_from_dict({"kind": kind, **row}, source=f"grid {kind}") for row in rows] if rows \
            else [spec_class(kind)(name=f"{kind}_default")]
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
    from accelsmith.hw_templates import RtlBundle
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
            formal: dict | None = None) -> dict:
    """Run the grid (unless ``templates`` is False) and the user's ``designs`` (``_user.load_designs``) on every
    simulator; Verilator runs start first (longest builds) so the parallel tail stays short. With ``formal``
    (``prove_rtl``'s ``depth`` and ``timeout_s``) every spec also gets the handshake proof, as one more run."""
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
    results = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each bench is its own process group; threads wait
        for fut in [pool.submit(_run, spec, sim, root, d, formal) for spec, sim, d in work]:
            results.append(fut.result())
            if progress:
                progress(results[-1])
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
