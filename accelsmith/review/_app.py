"""The review web app: a read-only FastAPI over the run store (list from SQLite, detail from one folder)."""

from __future__ import annotations

import logging
import posixpath
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from jinja2 import DictLoader, Environment, select_autoescape
from markupsafe import Markup
from pygments.formatters import HtmlFormatter
from starlette.exceptions import HTTPException as StarletteHTTPException

from accelsmith.review import _index
from accelsmith.review._cost import iteration_costs
from accelsmith.review._load import RunDetail, load_run, read_bytes_safe, run_folder
from accelsmith.review._svg import iteration_chart, waveform
from accelsmith.review._pages import BASE, ERROR, LIST, SYSTEM
from accelsmith.review._pages_detail import DETAIL
from accelsmith.review._text import diff_files, highlight_lines
from accelsmith.review._vcd import find_window

log = logging.getLogger(__name__)
MAX_RAW_BYTES = 8 << 20


def _env() -> Environment:
    env = Environment(loader=DictLoader({"base.html": BASE, "list.html": LIST, "detail.html": DETAIL,
                                         "error.html": ERROR, "system.html": SYSTEM}),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["basename"] = lambda p: posixpath.basename(str(p).replace("\\", "/"))
    env.globals["highlight"] = highlight_lines
    # pygments' own stylesheet is trusted constant text, not run data
    env.globals["pygments_css"] = Markup(HtmlFormatter(style="default").get_style_defs("pre.code"))
    return env


def detail_context(run: RunDetail) -> dict:
    """Everything the detail template draws besides the run itself: diffs, chart, waveform."""
    diffs = {}
    for prev, cur in zip(run.iterations, run.iterations[1:]):
        diffs[cur.n] = diff_files(prev.rtl, cur.rtl, prev.name, cur.name,
                                  raw=lambda name, f: f"/runs/{run.run_id}/raw/{name}/rtl/{f}")
    costs = iteration_costs(run.folder, run.run_id, run.problems) if run.iterations else {}
    points = [{"n": it.n, "passed": costs.get(it.n, {}).get("passed", it.passed),
               "seconds": costs.get(it.n, {}).get("seconds", it.bench_seconds),
               "tokens": costs.get(it.n, {}).get("tokens")} for it in run.iterations]
    window = find_window(run.folder, [it.name for it in run.iterations], run.problems)
    return {"diffs": diffs, "chart": iteration_chart(points) if points else None,
            "window": window, "wave": waveform(window) if window and window.signals else None}


def _system_report(root: Path) -> dict | None:
    """The flow's system report when this run store is a flow's (``OUT/runs`` beside ``OUT/system_report.json``)."""
    import json

    from accelsmith.review._load import MAX_TEXT_BYTES, read_bytes_safe

    p = root.resolve().parent / "system_report.json"
    try:
        raw = read_bytes_safe(p, MAX_TEXT_BYTES)
        return json.loads(raw) if raw and len(raw) <= MAX_TEXT_BYTES else None
    except (OSError, ValueError):
        return None


def create_app(root: str | Path) -> FastAPI:
    root = Path(root)
    env = _env()
    app = FastAPI(title="accelsmith review", docs_url=None, redoc_url=None, openapi_url=None)

    def page(name: str, http_status: int = 200, **ctx) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(root=str(root), **ctx), status_code=http_status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        title = "not found" if exc.status_code == 404 else "error"
        return page("error.html", exc.status_code, code=exc.status_code, title=title, message=str(exc.detail))

    @app.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def run_list(status: str = "", kind: str = "") -> HTMLResponse:
        runs = _index.list_runs(root, status=status or None, kind=kind or None)
        return page("list.html", runs=runs, facets=_index.facets(root), status=status, kind=kind,
                    system=_system_report(root))

    @app.api_route("/system", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def system() -> HTMLResponse:
        report = _system_report(root)
        if report is None:
            raise StarletteHTTPException(404, f"no system_report.json beside {root} (accelsmith flow writes one)")
        return page("system.html", r=report)

    @app.api_route("/runs/{run_id}", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def run_detail(run_id: str) -> HTMLResponse:
        run = load_run(root, run_id, _index.get_run(root, run_id) if len(run_id) < 200 else None)
        if run is None:
            raise StarletteHTTPException(404, f"no run {run_id!r} in {root}")
        try:
            ctx = detail_context(run)
        except Exception as err:  # a damaged artefact still leaves the rest of the page readable
            log.exception("detail context for %s", run_id)
            run.problems.append(f"could not render diffs/chart/waveform: {type(err).__name__}: {err}")
            ctx = {"diffs": {}, "chart": None, "window": None, "wave": None}
        return page("detail.html", run=run, **ctx)

    @app.api_route("/runs/{run_id}/raw/{rel:path}", methods=["GET", "HEAD"])
    def raw_file(run_id: str, rel: str) -> PlainTextResponse:
        """A run's file as plain text (what a truncated diff or log links to): regular files inside the run
        folder only, never through a link, at most MAX_RAW_BYTES."""
        folder = run_folder(root, run_id)
        parts = Path(rel).parts
        if folder is None or not parts or any(p in ("..", ".") or p.startswith("/") for p in parts):
            raise StarletteHTTPException(404, "no such file in the run")
        data = read_bytes_safe(folder.joinpath(*parts), MAX_RAW_BYTES)
        if data is None:
            raise StarletteHTTPException(404, "no such regular file in the run")
        text = data[:MAX_RAW_BYTES].decode("utf-8", errors="replace")
        if len(data) > MAX_RAW_BYTES:
            text += f"\n[... cut at {MAX_RAW_BYTES:,} bytes]\n"
        return PlainTextResponse(text, headers={"X-Content-Type-Options": "nosniff",
                                                "Content-Security-Policy": "default-src 'none'"})

    @app.api_route("/healthz", methods=["GET", "HEAD"])
    def healthz() -> dict:
        return {"ok": True, "root": str(root)}

    return app
