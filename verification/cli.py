"""Verification commands: ``mutate``, ``ppa``, ``regress`` (registered on the main app by ``register``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from accelsmith.errors import AccelsmithError, UsageError
from accelsmith.fanout import Interrupted
from accelsmith._cli_options import (FpgaDevice, RayAddress, UnsafeNoSandbox, fpga_device, sandbox_policy,
                                     stopped)
from rich.table import Table

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)


def _fail(msg: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {msg}", markup=True, soft_wrap=True)
    return typer.Exit(2)


def _spec_for(template: str, spec_path: Path | None):
    from accelsmith import hw_templates
    from accelsmith.spec import load_spec, spec_class

    hw_templates.get(template)  # a miss lists the known templates
    spec = load_spec(spec_path) if spec_path else spec_class(template)()
    if spec.kind != template:
        raise UsageError(f"{spec_path}: spec kind {spec.kind!r} does not match template {template!r}")
    return spec


def mutate_cmd(
    template: Annotated[str, typer.Argument(help="template kind, e.g. requant, gemm")],
    spec_path: Annotated[Optional[Path], typer.Option("--spec", help="spec YAML (default: the kind's defaults)")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="parallel Icarus benches")] = 2,
    max_mutants: Annotated[int, typer.Option("--max", min=1, help="sample at most this many mutants")] = 150,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="write the full report here")] = None,
    prove: Annotated[bool, typer.Option("--prove/--no-prove", help="yosys equivalence proof on survivors")] = True,
    grid: Annotated[bool, typer.Option(
        "--grid", help="score the template file over --spec plus the regression grid's specs that render it "
                       "(a mutant is killed when any spec's bench kills it; every mutant, --max ignored)")] = False,
    ray_address: RayAddress = None,
    unsafe_no_sandbox: UnsafeNoSandbox = False,
) -> None:
    """Mutation-test a template's RTL with its derived bench; exit 1 below 98 % kill rate (all operators).

    The bug-class operators (a register dropped from reset, valid waiting for ready, an accept that ignores
    in_valid, an enable that ignores a stall) are scored apart from the classic ones too.

    Equivalent (unscored) mutants: parameters unchanged (pyslang), a yosys proof, or a reviewed argument in
    hw_templates/<kind>/<file>.equivalents.yaml (reported apart, with the rate counting them as survivors).
    """
    from accelsmith.verification.campaigns.mutate import mutate, mutate_across
    from accelsmith.verification.campaigns.regress import grid_sharing


    try:
        sandbox_policy(unsafe_no_sandbox)
        spec = _spec_for(template, spec_path)
    except AccelsmithError as err:
        raise _fail(str(err)) from None
    try:
        if grid:
            specs = grid_sharing(spec)
            console.print(f"mutate {spec.kind} over {len(specs)} specs: {', '.join(s.label for s in specs)}")
            report = mutate_across(
                specs, jobs=jobs, prove=prove, ray_address=ray_address, progress=lambda s, r: console.print(
                    f"  [{s.label}] {r.mutant.id} {r.status:<10} {r.mutant.describe()}", markup=False, highlight=False))
        else:
            console.print(f"mutate {spec.kind}: {spec.summary()}")
            report = mutate(spec, jobs=jobs, max_mutants=max_mutants, prove=prove, ray_address=ray_address,
                            progress=lambda r: console.print(f"  {r.mutant.id} {r.status:<10} {r.mutant.describe()}",
                                                             markup=False))
    except Interrupted as err:
        raise stopped(err) from None
    except AccelsmithError as err:
        raise _fail(str(err)) from None
    if json_out:
        json_out.write_text(json.dumps(report, indent=1))
    print_mutation_report(report)
    raise typer.Exit(0 if (report["kill_rate"] or 0) >= 0.98 else 1)


def print_mutation_report(report: dict) -> None:
    """The campaign's one report (``campaigns.mutate.format_report``), as plain text."""
    from accelsmith.verification.campaigns.mutate import format_report

    console.print(format_report(report), markup=False, highlight=False)


def ppa_cmd(
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC", help="block spec YAML")],
    sim: Annotated[Optional[str], typer.Option(help="also run the bench on this simulator for cycle figures")] = None,
    workdir: Annotated[Optional[Path], typer.Option(help="synthesis folder [default: runs/ppa/<kind>_<spec hash>]")] = None,
    fpga: FpgaDevice = "ecp5-85k",
    unsafe_no_sandbox: UnsafeNoSandbox = False,
) -> None:
    """Synthesis (cells, flip-flops, logic depth), FPGA place and route (LUTs, FFs, DSPs, BRAMs, fmax) and, with
    --sim, simulated throughput/latency."""
    from accelsmith import hw_templates
    from accelsmith.spec import load_spec
    from accelsmith.verification._derive import derive
    from accelsmith.verification._ppa import ppa
    from accelsmith.verification._sim import run_bench


    try:
        sandbox_policy(unsafe_no_sandbox)
        spec = load_spec(spec_path)
        bundle = hw_templates.get(spec.kind).render(spec)
        device = fpga_device(fpga)
    except AccelsmithError as err:
        raise _fail(str(err)) from None
    workdir = workdir or Path("runs") / "ppa" / f"{spec.kind}_{spec.spec_hash}"
    cases = None
    if sim:
        res = run_bench(bundle.write(workdir / "bench_rtl"), bundle.top, derive(spec), workdir / f"bench_{sim}", sim=sim)
        cases = res.cases
    lanes = spec.ports()["out"]["fields"]
    result = ppa(bundle, workdir, bench_cases=cases, lanes_out=sum(f["lanes"] for f in lanes.values()), fpga=device)
    console.print_json(json.dumps(result | {"synth": {k: v for k, v in result["synth"].items() if k != "cell_types"}}))
    raise typer.Exit(0 if result["synth"].get("ok") else 1)


def regress_cmd(
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="parallel benches")] = 2,
    junit: Annotated[Optional[Path], typer.Option("--junit", help="JUnit XML output")] = None,
    kinds: Annotated[Optional[str], typer.Option(help="comma-separated kinds (default: all templates)")] = None,
    sims: Annotated[str, typer.Option(help="comma-separated simulators")] = "icarus,verilator",
    tier: Annotated[str, typer.Option(help="fast (small corners), scale (real model sizes: MiniLM's blocks) or all")] = "fast",
    designs: Annotated[Optional[Path], typer.Option(
        "--designs", help="YAML of your own (spec, RTL) pairs to re-verify beside the templates: "
                          "designs: [{spec: S.yaml, rtl: [a.v, ...], top: T}] (paths relative to the file)")] = None,
    templates: Annotated[bool, typer.Option("--templates/--no-templates", help="run the template grid")] = True,
    formal: Annotated[bool, typer.Option("--formal", help="also prove each spec's output handshake with yosys "
                                         "(see `accelsmith formal`); a verdict column beside the simulations")] = False,
    formal_depth: Annotated[int, typer.Option(min=1, help="with --formal: most cycles per proof")] = 20,
    formal_timeout: Annotated[float, typer.Option(min=1, help="with --formal: seconds per property")] = 60.0,
    ray_address: RayAddress = None,
    unsafe_no_sandbox: UnsafeNoSandbox = False,
) -> None:
    """Every template over its representative spec grid, and your own designs, on both simulators; exit 1 on any
    failure.

    Icarus cross-checks large designs on a reduced plan (every corner case, fewer random jobs). With --formal a
    counterexample to a handshake property fails the run; bounded and timed-out proofs are counted, not failed."""
    from accelsmith.verification._formal import formal_summary
    from accelsmith.verification.campaigns.regress import regress
    from accelsmith.verification._user import load_designs

    try:
        sandbox_policy(unsafe_no_sandbox)
        user = load_designs(designs) if designs else []
        report = regress(jobs=jobs, junit=junit, kinds=kinds.split(",") if kinds else None, sims=sims.split(","), tier=tier,
                         designs=user, templates=templates, ray_address=ray_address,
                         formal={"depth": formal_depth, "timeout_s": formal_timeout} if formal else None,
                         progress=lambda r: console.print(
                             f"  {'PASS' if r['passed'] else 'FAIL'} {r['name']} [{r['sim']}"
                             f"{', reduced plan' if r.get('reduced_plan') else ''}] {r['seconds']:.1f} s"
                             f"{' ' + r['summary'] if 'formal' in r else ''}",
                             markup=False))
    except Interrupted as err:
        raise stopped(err) from None
    except AccelsmithError as err:
        raise _fail(str(err)) from None
    table = Table("kind", "specs", "runs", "failed", *(["formal properties"] if formal else []))
    for kind, row in report["by_kind"].items():
        table.add_row(kind, str(row["specs"]), str(row["runs"]), str(row["failed"]),
                      *([formal_summary(row["formal"])] if formal else []))
    console.print(table)
    where = f"as Ray tasks at {ray_address}" if ray_address else f"with {jobs} jobs"
    console.print(f"{report['runs']} runs, {report['failed']} failed, wall {report['wall_s']:.1f} s {where}")
    raise typer.Exit(1 if report["failed"] else 0)


def formal_cmd(
    templates: Annotated[Optional[str], typer.Argument(help="template kinds, comma-separated (default: every kind)")] = None,
    spec_path: Annotated[Optional[Path], typer.Option("--spec", help="one spec YAML instead of the kinds' grids")] = None,
    tier: Annotated[str, typer.Option(help="regression grid to prove: fast or scale")] = "fast",
    depth: Annotated[int, typer.Option(min=1, help="most cycles for the base case and the induction")] = 20,
    timeout_s: Annotated[float, typer.Option("--timeout", min=1, help="seconds per property")] = 120.0,
    workdir: Annotated[Path, typer.Option(help="proof folders go here, one per spec")] = Path("runs/formal"),
    json_out: Annotated[Optional[Path], typer.Option("--json", help="write every verdict here")] = None,
    unsafe_no_sandbox: UnsafeNoSandbox = False,
) -> None:
    """Prove the output ready/valid handshake of template instances with yosys (sat -tempinduct, k-induction).

    Properties: valid_held (an offer not taken stays offered), data_stable (and unchanged), reset_clears_valid,
    no_output_without_input. Verdicts: proved (k), bounded (no counterexample within --depth cycles of reset,
    induction not closed), FAILED (the cycle; a VCD in the spec's folder), timeout, error. Exit 1 when any
    property fails or errors.
    """
    from accelsmith.spec import load_spec
    from accelsmith.verification._formal import ASSUMPTIONS, PROPERTIES, verdict_text
    from accelsmith.verification.campaigns.formal import prove_handshake
    from accelsmith.verification.campaigns.regress import grid_specs

    try:
        sandbox_policy(unsafe_no_sandbox)
        if spec_path:
            specs = [load_spec(spec_path)]
        else:
            specs = grid_specs(templates.split(",") if templates else None, tier)
    except AccelsmithError as err:
        raise _fail(str(err)) from None
    console.print(f"formal: {len(specs)} specs, depth {depth}, {timeout_s:.0f} s per property; assumed: {ASSUMPTIONS}",
                  markup=False)
    table = Table("spec", *(p.name for p in PROPERTIES), "s")
    reports, bad = [], 0
    for spec in specs:
        try:
            rep = prove_handshake(spec, workdir / spec.label, depth=depth, timeout_s=timeout_s)
        except AccelsmithError as err:
            raise _fail(str(err)) from None
        reports.append(rep)
        bad += not rep["passed"]
        cells = [verdict_text(r) for r in rep["properties"]]
        console.print(f"  {spec.label}: {', '.join(f'{p.name} {c}' for p, c in zip(PROPERTIES, cells))}",
                      markup=False)
        table.add_row(spec.label, *cells, f"{rep['seconds']:.0f}")
    console.print(table)
    if json_out:
        json_out.write_text(json.dumps(reports, indent=1))
    console.print(f"{len(specs)} specs, {bad} with a failed or errored property")
    raise typer.Exit(1 if bad else 0)


def register(app: typer.Typer) -> None:
    app.command("formal")(formal_cmd)
    app.command("mutate")(mutate_cmd)
    app.command("ppa")(ppa_cmd)
    app.command("regress")(regress_cmd)
