"""``accelsmith review``: serve the read-only review page over a run store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def review(
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port")] = 8765,
    host: Annotated[str, typer.Option(help="address to bind; the default keeps the page local")] = "127.0.0.1",
    runs_dir: Annotated[Optional[Path], typer.Option("--runs-dir", help="run store folder [env ACCELSMITH_RUNS, default ./runs]")] = None,
) -> None:
    """Serve a local, read-only web page over the run store (run list, RTL, diffs, benches, waveforms)."""
    from rich.console import Console

    from accelsmith.review._serve import serve
    from accelsmith.runstore import default_root

    root = runs_dir if runs_dir is not None else default_root()
    err = Console(stderr=True, highlight=False)
    if not root.is_dir():
        err.print(f"[bold red]error:[/] run store {str(root)!r} is not a folder", soft_wrap=True)
        raise typer.Exit(2)
    if not (root / "runs.sqlite").is_file():
        err.print(f"[yellow]note:[/] {root}/runs.sqlite not found; the run list will be empty", soft_wrap=True)
    Console().print(f"review page on http://{host}:{port}/  (runs: {root}; Ctrl-C stops)", markup=False)
    serve(root, host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("review")(review)
