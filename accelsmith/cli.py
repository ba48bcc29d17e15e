"""The ``accelsmith`` command: a thin shell over library calls. Exit 0 verified/ok, 1 not verified, 2 user error."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from accelsmith._cli_options import (FpgaDevice, RayAddress, UnsafeNoSandbox, fpga_device, sandbox_policy,
                                     stopped)
from accelsmith.fanout import Interrupted
from accelsmith.errors import AccelsmithError, SpecError, StoreError, ToolMissing, UnsafeRTL

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="LLM-aided design and verification of accelerator RTL for transformer blocks.")
runs_app = typer.Typer(no_args_is_help=True, help="Inspect the run store.")
app.add_typer(runs_app, name="runs")
console = Console(stderr=False, highlight=False, soft_wrap=True)  # one line stays one line, also when piped
err_console = Console(stderr=True, highlight=False)

RunsDir = Annotated[Optional[Path], typer.Option("--runs-dir", help="run store folder [env ACCELSMITH_RUNS, default ./runs]")]


def _user_error(msg: str) -> typer.Exit:
    from rich.markup import escape

    for line in str(msg).splitlines() or [str(msg)]:
        err_console.print(f"[bold red]error:[/] {escape(line)}", markup=True, soft_wrap=True)
    return typer.Exit(2)


def _progress_printer():
    t_last = [time.perf_counter()]

    def on_progress(node: str, delta: dict) -> None:
        now = time.perf_counter()
        dt = now - t_last[0]
        t_last[0] = now
        detail = ""
        if node == "draft" and "iteration" in delta:
            detail = f"iteration {delta['iteration']}, {len(delta.get('rtl', {}))} files"
        elif node == "check":
            diags = delta.get("diagnostics", [])
            n_err = sum(d["severity"] == "error" for d in diags)
            detail = f"{n_err} errors, {len(diags) - n_err} warnings"
        elif node == "verify":
            detail = "; ".join(
                (next((d["message"] for d in r["diagnostics"]
                       if d.get("code") in ("SIM_TIMEOUT", "BUILD_TIMEOUT", "SIM_LIMIT", "BUILD_LIMIT")),
                      f"{sim} killed at its {r.get('limit_hit') or 'time'} limit") if r["timed_out"]
                 else f"{sim} {sum(c['passed'] for c in r['cases'])}/{len(r['cases'])} cases"
                      + (" (reduced plan)" if r.get("reduced_plan") else "") + (", cached build" if r.get("build_cached") else "")
                      if r["built"]
                 else f"{sim} build failed")
                for sim, r in delta.get("bench", {}).items())
        elif node == "estimate":
            synth = delta.get("ppa", {}).get("synth", {})
            detail = (f"{synth['cells']} cells, {synth['flip_flops']} flip-flop bits, depth {synth['logic_depth']}"
                      if synth.get("ok") else f"synthesis unavailable: {synth.get('error')}")
            if delta.get("ppa", {}).get("fpga"):
                from accelsmith.verification._fpga import summary as fpga_summary

                detail += f"; {fpga_summary(delta['ppa']['fpga'])}"
        elif node == "report":
            detail = delta.get("status", "")
        console.print(f"  [cyan]{node:<8}[/] {dt:6.2f} s  {detail}")

    return on_progress


def _print_summary(final: dict, store) -> None:
    run_dir = Path(final["run_dir"])
    status = final.get("status", "failed")
    color = "green" if status == "verified" else "red"
    console.print(f"[bold {color}]{status.upper()}[/] run {final['run_id']}  "
                  f"(stop reason: {final.get('stop_reason')}, iterations: {final.get('iteration', 0)})")
    for sim, res in (final.get("bench") or {}).items():
        failed = [c["case"] for c in res["cases"] if not c["passed"]]
        console.print(f"  bench {sim}: {len(res['cases']) - len(failed)}/{len(res['cases'])} cases passed"
                      + (f"; failed: {', '.join(failed)}" if failed else ""))
    console.print(f"  report: {run_dir / 'report.md'}")


@app.command()
def design(
    ctx: typer.Context,
    spec_path: Annotated[Optional[Path], typer.Argument(metavar="SPEC", help="block spec YAML")] = None,
    from_profile: Annotated[Optional[Path], typer.Option("--from-profile", help="WorkloadProfile JSON: one design per block")] = None,
    backend: Annotated[str, typer.Option(help="drafting backend")] = "expert",
    sim: Annotated[str, typer.Option(help="primary simulator")] = "verilator",
    cross_check: Annotated[bool, typer.Option("--cross-check/--no-cross-check", help="also run the bench on Icarus")] = True,
    max_iterations: Annotated[int, typer.Option(min=1, help="draft/repair budget")] = 4,
    bench_timeout: Annotated[Optional[float], typer.Option(
        "--sim-timeout", "--bench-timeout", help="limit per simulation, seconds [default: scaled with the design]")] = None,
    build_timeout: Annotated[Optional[float], typer.Option(
        "--build-timeout", help="limit per simulator build, seconds [default: scaled with the design]")] = None,
    lint_timeout: Annotated[Optional[float], typer.Option(
        "--lint-timeout", help="limit for verilator lint, seconds [default: scaled with the design]")] = None,
    memory_mb: Annotated[Optional[int], typer.Option(
        "--memory-mb", min=64, help="memory per sandboxed build / simulation, MiB [default: 12288 / 8192]")] = None,
    allow_large: Annotated[bool, typer.Option(
        "--allow-large", help="start even when the spec looks too large to verify here (see the refusal's figures)")] = False,
    pe_budget: Annotated[int, typer.Option(min=1, help="with --from-profile: processing elements per GEMM array")] = 1024,
    dram_bw: Annotated[Optional[int], typer.Option(
        "--dram-bw", min=1, max=4096, help="with --from-profile: DRAM bytes per cycle; the dataflow search (ZigZag) "
                                            "then chooses each array's shape and dataflow under it and 256 KB SRAM")] = None,
    estimate: Annotated[bool, typer.Option("--estimate/--no-estimate",
                                           help="synthesise the verified design with yosys (cells, FFs, depth) and "
                                                "place and route it (see --fpga)")] = False,
    fpga: FpgaDevice = "ecp5-85k",
    runs_dir: RunsDir = None,
    ray_address: RayAddress = None,
    unsafe_no_sandbox: UnsafeNoSandbox = False,
) -> None:
    """Design and verify RTL for a block spec (or every block of a workload profile).

    With --ray-address each block's run is a Ray task with a run store of its own on its worker; finished runs
    are moved into this run store as they come back."""
    from accelsmith.agents import design as run_design
    from accelsmith.agents._options import llm_of
    from accelsmith.runstore import RunStore
    from accelsmith.spec import load_spec

    if (spec_path is None) == (from_profile is None):
        raise _user_error("give exactly one of SPEC or --from-profile PROFILE")
    try:
        sandbox_policy(unsafe_no_sandbox)
        if spec_path is not None:
            specs = [load_spec(spec_path)]
            if not allow_large:
                from accelsmith.verification._limits import check_effort

                check_effort(specs[0], str(spec_path))
        else:
            from accelsmith.model_opt import DesignBudget, specs_from_profile

            if not from_profile.is_file():
                raise SpecError(f"{from_profile}: profile file not found")
            specs = specs_from_profile(from_profile, DesignBudget(pe_budget=pe_budget, dram_bytes_per_cycle=dram_bw),
                                       ray_address=ray_address)
        store = RunStore(runs_dir)
        others = [s for s in ("icarus", "verilator") if s != sim] if cross_check else []
        options = dict(backend=backend, sim=sim, cross_check=others, max_iterations=max_iterations,
                       bench_timeout_s=bench_timeout, build_timeout_s=build_timeout, lint_timeout_s=lint_timeout,
                       memory_mb=memory_mb, allow_large=allow_large, estimate=estimate, fpga=fpga_device(fpga),
                       llm=llm_of(ctx))
        if ray_address:
            from accelsmith.agents._run import design_on_ray

            console.print(f"[bold]design[/] {len(specs)} block(s) as Ray tasks at {ray_address} (backend {backend})")
            finals = design_on_ray(specs, lambda _: options, store, ray_address,
                                   on_final=lambda _spec, final, _s: _print_summary(final, store))
        else:
            finals = []
            for spec in specs:
                console.print(f"[bold]design[/] {spec.kind}: {spec.summary()}  (backend {backend}, sim {sim}"
                              + (f", cross-check {', '.join(others)}" if others else "") + ")")
                finals.append(run_design(spec, store=store, on_progress=_progress_printer(), **options))
                _print_summary(finals[-1], store)
        all_ok = all(f.get("status") == "verified" for f in finals)
    except Interrupted as err:
        raise stopped(err) from None
    except (SpecError, ToolMissing, ValueError, ImportError, StoreError, AccelsmithError) as err:
        raise _user_error(str(err)) from None
    raise typer.Exit(0 if all_ok else 1)


@app.command()
def resume(run_id: str, runs_dir: RunsDir = None, unsafe_no_sandbox: UnsafeNoSandbox = False) -> None:
    """Continue a killed run from its last finished node."""
    from accelsmith.agents import resume as run_resume
    from accelsmith.runstore import RunStore

    from accelsmith.agents._run import resume_plan

    store = RunStore(runs_dir)
    try:
        sandbox_policy(unsafe_no_sandbox)
        console.print(resume_plan(run_id, store))
        final = run_resume(run_id, store=store, on_progress=_progress_printer())
    except (ValueError, ToolMissing, StoreError) as err:
        raise _user_error(str(err)) from None
    _print_summary(final, store)
    raise typer.Exit(0 if final.get("status") == "verified" else 1)


@app.command()
def lint(
    files: Annotated[list[Path], typer.Argument(help="Verilog files")],
    top: Annotated[str, typer.Option(help="top module")],
    unsafe_no_sandbox: UnsafeNoSandbox = False,
) -> None:
    """Security scan (as written, then as Verilator and Icarus preprocess it), then pyslang and verilator -Wall
    lint, each in the OS sandbox; exit 1 on any error."""
    import tempfile

    from accelsmith.verification import lint as run_lint, refusals, scan_preprocessed, scan_rtl

    missing = [f for f in files if not f.is_file()]
    if missing:
        raise _user_error(f"{missing[0]}: file not found")
    try:
        sandbox_policy(unsafe_no_sandbox)
        texts = _read_sources(files)
        with tempfile.TemporaryDirectory(prefix="accelsmith-lint-") as work:
            findings = scan_rtl(texts) or refusals(scan_preprocessed(files, Path(work)))
            diags = findings or run_lint(files, top, Path(work))
    except (ToolMissing, UnsafeRTL) as err:
        raise _user_error(str(err)) from None
    for d in diags:
        console.print(d.one_line(), markup=False)
    n_err = sum(d.severity == "error" for d in diags)
    console.print(f"{n_err} errors, {len(diags) - n_err} warnings")
    raise typer.Exit(1 if n_err else 0)


def _read_sources(files: list[Path]) -> dict[str, str]:
    """name -> text of the user's RTL files, refusing what is too large to be a design (the scan's own cap)."""
    from accelsmith.verification._security import MAX_FILE_BYTES

    texts = {}
    for f in files:
        if f.stat().st_size > MAX_FILE_BYTES:
            raise UnsafeRTL(f"{f}: {f.stat().st_size:,} bytes, over the per-file limit of {MAX_FILE_BYTES:,}")
        texts[f.name] = f.read_text(errors="replace")
    return texts


@app.command()
def kinds() -> None:
    """List block kinds, with whether an expert template exists."""
    from accelsmith.hw_templates import known_templates
    from accelsmith.spec import known_kinds, spec_class

    table = Table("kind", "template", "fields")
    for k in known_kinds():
        fields = ", ".join(f for f in spec_class(k).model_fields if f not in ("version", "name"))
        table.add_row(k, "yes" if k in known_templates() else "no", fields)
    console.print(table)


@runs_app.command("list")
def runs_list(
    status: Annotated[Optional[str], typer.Option(help="filter by status")] = None,
    kind: Annotated[Optional[str], typer.Option(help="filter by block kind")] = None,
    runs_dir: RunsDir = None,
) -> None:
    """List runs, newest first."""
    from accelsmith.runstore import RunStore

    header = ("run", "kind", "spec", "backend", "status", "stop", "iter", "seconds", "bench")
    rows = [(r.run_id, r.kind, r.summary, r.backend, r.status, r.stop_reason or "", str(r.iterations),
             f"{r.seconds or 0:.1f}", r.bench or "") for r in RunStore(runs_dir).list(status=status, kind=kind)]
    if not console.is_terminal:  # piped: one tab-separated line per run, for scripts
        for row in [header, *rows]:
            print("\t".join(row))
        return
    table = Table(*header)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@runs_app.command("show")
def runs_show(run_id: str, runs_dir: RunsDir = None) -> None:
    """Print a run's index row and its report."""
    from accelsmith.runstore import RunStore

    store = RunStore(runs_dir)
    rec = store.get(run_id)
    if rec is None:
        raise _user_error(f"unknown run {run_id!r} in {store.root}")
    console.print_json(json.dumps(rec.__dict__))
    report = store.folder(run_id) / "report.md"
    if report.is_symlink() or (report.exists() and not report.is_file()):
        raise _user_error(f"{report} is not a regular file; refusing to read it")
    console.print(report.read_text(errors="replace")[:1 << 20] if report.exists() else f"(no report.md in {report.parent})",
                  markup=False)


# Packages contribute commands through a ``cli`` module with ``register(app)``; the order is the help order.
CLI_PLUGINS = ("accelsmith.agents.cli", "accelsmith.verification.cli", "accelsmith.model_opt.cli",
               "accelsmith.review.cli")


def _register_plugins() -> None:
    import importlib
    import importlib.util

    for name in CLI_PLUGINS:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            module = importlib.import_module(name)
            if hasattr(module, "register"):
                module.register(app)


_register_plugins()


def main() -> None:  # pragma: no cover - console-script entry
    try:
        app()
    except AccelsmithError as err:  # one line, never markup: messages quote user input
        err_console.print(f"error: {str(err).splitlines()[0] if str(err) else type(err).__name__}", markup=False,
                          soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
