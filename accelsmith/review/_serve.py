"""Serving the review app with uvicorn (the CLI and bench scripts call this)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_HOST = "127.0.0.1"  # local only unless the user asks otherwise
DEFAULT_PORT = 8765


def serve(root: str | Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, log_level: str = "warning") -> None:
    import uvicorn

    from accelsmith.review._app import create_app

    uvicorn.run(create_app(root), host=host, port=port, log_level=log_level)
