"""``accelsmith optimize``: a thin typer-compatible shell over ``optimize``; user mistakes raise ModelOptError."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress



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


def register(app: typer.Typer) -> None:
    app.command("optimize")(optimize_cli)
