"""``accelsmith optimize``: a thin typer-compatible shell over ``optimize``; user mistakes raise ModelOptError."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from accelsmith._cli_options import RayAddress, stopped
from accelsmith.errors import AccelsmithError
from accelsmith.fanout import Interrupted



def optimize_cli(
    model: Path = typer.Option(..., "--model", help="model folder, .gguf file or cached hub id"),
    recipe: Path = typer.Option(..., "--recipe", help="recipe YAML (see examples/recipes)"),
    out: Path = typer.Option(..., "--out", help="output folder"),
) -> None:
    """Compress a model with a recipe; write the model, quality report and workload profile."""
    from accelsmith.model_opt._optimize import optimize

    console = Console()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("optimize", total=1)

        def tell(step: str, i: int, n: int) -> None:
            bar.update(task, description=step, completed=i, total=n)

        report = optimize(model, recipe, out, progress=tell)
    for k, v in report["before"].items():
        console.print(f"{k}: {v:.4f} -> {report['after'][k]:.4f}")
    console.print(f"wrote {out}/quality.md, workload_profile.json, topology.csv, design_constraints.json, model/")


def dataflow_cli(
    profile: Path = typer.Argument(..., metavar="PROFILE", help="workload_profile.json (accelsmith optimize)"),
    sram_kb: int = typer.Option(64, "--sram-kb", min=1, help="on-chip SRAM budget, KiB (A, B and C share it)"),
    dram_bw: int = typer.Option(16, "--dram-bw", min=1, help="DRAM bandwidth budget, bytes per cycle"),
    array: str = typer.Option("16x16", "--array", metavar="RxC", help="systolic array (rows x cols)"),
    json_out: Path = typer.Option(None, "--json", help="write every op's choice as JSON here"),
    ray_address: RayAddress = None,
) -> None:
    """Dataflow and tiling search (ZigZag) for every GEMM of a profile under SRAM and DRAM-bandwidth budgets:
    per op the dataflow, loop order and SRAM split; compute and stall cycles, DRAM traffic, energy. GEMMs are
    searched at the array's operand width (4 or 8 bits); attention's QK^T and P.V run on the attention block
    (dataflow fused_attention). With --ray-address each distinct GEMM shape's search is a Ray task."""
    import json

    from accelsmith.model_opt._dataflow import Budget, search_profile
    from accelsmith.model_opt._errors import ModelOptError
    from accelsmith.model_opt._profile import load_profile

    err = Console(stderr=True)
    try:
        rows, cols = (int(x) for x in array.lower().split("x"))
        budget = Budget(rows=rows, cols=cols, sram_bytes=sram_kb * 1024, dram_bytes_per_cycle=dram_bw)
    except ValueError:
        err.print(f"[bold red]error:[/] --array {array!r}: give RxC with 1 <= R, C <= 256 (e.g. 16x16)")
        raise typer.Exit(2) from None
    console = Console(highlight=False, soft_wrap=True)
    try:
        prof = load_profile(profile)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("search", total=len(prof.gemms))
            choice = search_profile(prof, budget, progress=lambda i, n, name: bar.update(
                task, description=f"ZigZag: {name}", completed=i - 1, total=n), ray_address=ray_address)
    except Interrupted as e:
        raise stopped(e) from None
    except (ModelOptError, AccelsmithError) as e:
        err.print(f"[bold red]error:[/] {e}")
        raise typer.Exit(2) from None
    console.print(f"{prof.model}: {budget.label()}")
    console.print(f"{'op':<44} {'M':>5} {'N':>6} {'K':>5} {'x':>3} {'dataflow':<18} {'compute':>10} {'stall':>9} "
                  f"{'DRAM KB':>9} {'uJ':>8}")
    seen = set()
    for o in choice.ops:
        shape = (o.m, o.n, o.k, o.count, o.dataflow)
        if shape in seen:
            continue
        seen.add(shape)
        console.print(f"{o.name[-44:]:<44} {o.m:>5} {o.n:>6} {o.k:>5} {o.count:>3} {o.dataflow:<18} "
                      f"{o.compute_cycles:>10,} {o.stall_cycles:>9,} {o.dram_bytes / 1024:>9,.0f} "
                      f"{o.energy_pj / 1e6:>8,.1f}", markup=False)
    s = choice.summary()
    console.print(f"total over {s['ops']} GEMMs: compute {s['compute_cycles']:,} cycles, stalls {s['stall_cycles']:,} "
                  f"({100 * s['stall_share']:.1f} % of compute), DRAM {s['dram_mb']} MB, energy {s['energy_mj']} mJ; "
                  f"dataflows {s['dataflows']}")
    if json_out:
        json_out.write_text(json.dumps({"summary": s, "ops": [o.model_dump() for o in choice.ops],
                                        "alternatives": choice.alternatives}, indent=1))
        console.print(f"wrote {json_out}")


def register(app: typer.Typer) -> None:
    app.command("optimize")(optimize_cli)
    app.command("dataflow")(dataflow_cli)
