"""Lint / build / simulation seconds and cycles against design size, before and after the real-scale build
options, measured side by side in one run (cold builds: ccache and the build cache off).

    .venv/bin/python bench/scale.py [--out bench/results/scale.json] [--before-limit 300] [--only gemm]

"before" is cocotb's default Verilator build (every signal public, no function splitting, verilated.mk's -Os)
on the output-stationary GEMM as it was before it kept one word per PE (read from git at BEFORE_COMMIT);
"after" is ``DEFAULT_BUILD`` on today's templates. Both run today's test plans. The Icarus column is the
cross-check a design run makes (the reduced plan where the full one would take over two minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from accelsmith.hw_templates import RtlBundle, get
from accelsmith.spec import spec_from_dict
from accelsmith.verification import DEFAULT_BUILD, LEGACY_BUILD, derive, lint_verilator, run_bench
from accelsmith.verification._limits import cross_check_plan

BEFORE_COMMIT = "7c01a38"  # main before the real-scale work
ROOT = Path(__file__).resolve().parent.parent

SIZES = [
    {"kind": "gemm", "rows": r, "cols": r, "k": 384, "acc_bits": 28} for r in (4, 8, 16, 32, 64)
] + [
    {"kind": "softmax", "length": n, "in_bits": 8} for n in (16, 128, 512)
] + [
    {"kind": "norm", "hidden": h, "in_bits": 8} for h in (16, 384, 896)
] + [
    {"kind": "attention", "head_dim": d, "seq_len": s} for d, s in ((8, 16), (32, 128), (64, 512))
]


def _bundle(spec, before: bool) -> RtlBundle:
    bundle = get(spec.kind).render(spec)
    if before and spec.kind == "gemm":
        old = subprocess.run(["git", "show", f"{BEFORE_COMMIT}:hw_templates/gemm/gemm_os.v"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        bundle = RtlBundle(files={**bundle.files, "gemm_os.v": old}, top=bundle.top)
    return bundle


def measure(spec, variant: str, work: Path, before_limit: float, icarus_limit: float, icarus_max_units: int) -> dict:
    before = variant == "before"
    bundle = _bundle(spec, before)
    folder = work / f"{spec.kind}_{spec.design_units}_{variant}"
    sources = bundle.write(folder / "rtl")
    t0 = time.perf_counter()
    diags = lint_verilator(sources, bundle.top, folder, timeout_s=before_limit if before else 1800)
    lint_s = time.perf_counter() - t0
    plan = derive(spec)
    res = run_bench(sources, bundle.top, plan, folder / "verilator", sim="verilator", units=spec.design_units,
                    size=spec.size_label, build_options=LEGACY_BUILD if before else DEFAULT_BUILD,
                    build_timeout_s=before_limit if before else None, timeout_s=before_limit if before else None,
                    use_cache=False)
    row = {"kind": spec.kind, "size": spec.size_label, "units": spec.design_units, "variant": variant,
           "lint_s": round(lint_s, 2), "lint_errors": sum(d.severity == "error" for d in diags),
           "built": res.built, "timed_out": res.timed_out, "build_s": res.build_s and round(res.build_s, 2),
           "sim_s": res.sim_s and round(res.sim_s, 2), "passed": res.passed,
           "cases": f"{sum(c['passed'] for c in res.cases)}/{len(res.cases)}",
           "cycles": sum(c.get("cycles", 0) for c in res.cases),
           "killed": [d.message for d in res.diagnostics if d.code in ("SIM_TIMEOUT", "BUILD_TIMEOUT")]}
    if not before and spec.design_units <= icarus_max_units:
        xplan = cross_check_plan("icarus", spec.design_units, plan)
        ice = run_bench(sources, bundle.top, xplan, folder / "icarus", sim="icarus", units=spec.design_units,
                        size=spec.size_label, timeout_s=icarus_limit, use_cache=False)
        row.update(icarus_passed=ice.passed, icarus_s=round(ice.wall_s, 1), icarus_reduced=xplan is not plan,
                   icarus_cases=f"{sum(c['passed'] for c in ice.cases)}/{len(ice.cases)}",
                   icarus_cycles=sum(c.get("cycles", 0) for c in ice.cases))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    ap.add_argument("--before-limit", type=float, default=300.0, help="seconds per stage for the 'before' builds")
    ap.add_argument("--icarus-limit", type=float, default=900.0)
    ap.add_argument("--only", default=None, help="one kind")
    ap.add_argument("--variants", default="after,before")
    ap.add_argument("--icarus-max-units", type=int, default=1024, help="no Icarus column above this design size")
    ap.add_argument("--resume", action="store_true", help="keep the rows already in --out and measure the rest")
    args = ap.parse_args()
    os.environ["CCACHE_DISABLE"] = "1"  # cold C++ builds on both sides
    console = Console()
    rows = json.loads(args.out.read_text()) if args.resume and args.out.is_file() else []
    done = {(r["kind"], r["size"], r["variant"]) for r in rows}
    with tempfile.TemporaryDirectory() as tmp:
        for fields in SIZES:
            if args.only and fields["kind"] != args.only:
                continue
            spec = spec_from_dict(fields)
            for variant in args.variants.split(","):
                if (spec.kind, spec.size_label, variant) in done:
                    continue
                row = measure(spec, variant, Path(tmp), args.before_limit, args.icarus_limit, args.icarus_max_units)
                rows.append(row)
                console.print(json.dumps(row), markup=False, highlight=False)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(rows, indent=1))
    table = Table("kind", "size", "variant", "lint s", "build s", "sim s", "cycles", "verilator", "icarus s", "icarus")
    for r in rows:
        build = f"{r['build_s']}" + (" (killed)" if r["timed_out"] and not r["built"] else "")
        table.add_row(r["kind"], r["size"], r["variant"], f"{r['lint_s']}", build, f"{r['sim_s']}", f"{r['cycles']}",
                      r["cases"] + ("" if r["passed"] else " FAIL"), f"{r.get('icarus_s', '')}",
                      (r.get("icarus_cases", "") + (" reduced" if r.get("icarus_reduced") else "")))
    console.print(table)


if __name__ == "__main__":
    main()
