"""Helpers for template tests: render, lint and run the generic bench on a spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelsmith import hw_templates
from accelsmith.verification import derive, lint, run_bench, scan_rtl


def render_run(spec, tmp_path: Path, sim: str = "icarus", edit=None, cases: list[str] | None = None):
    """Render ``spec`` (optionally passing its files through ``edit``), then run its derived bench."""
    bundle = hw_templates.get(spec.kind).render(spec)
    files = edit(dict(bundle.files)) if edit else bundle.files
    rtl = tmp_path / f"rtl_{sim}"
    rtl.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        (rtl / name).write_text(text)
        paths.append(rtl / name)
    return run_bench(paths, bundle.top, derive(spec), tmp_path / f"bench_{sim}", sim=sim, timeout_s=240,
                     cases=cases)


def lint_clean(spec, tmp_path: Path) -> list[str]:
    """Security findings and every lint warning/error, as one-line strings (empty: clean)."""
    bundle = hw_templates.get(spec.kind).render(spec)
    findings = scan_rtl(bundle.files)
    paths = bundle.write(tmp_path / "lint")
    return [d.one_line() for d in findings + lint(paths, bundle.top, tmp_path / "lint")]


@pytest.fixture
def run_spec(tmp_path):
    return lambda spec, sim="icarus", **kw: render_run(spec, tmp_path, sim, **kw)


@pytest.fixture
def lint_spec(tmp_path):
    return lambda spec: lint_clean(spec, tmp_path)
