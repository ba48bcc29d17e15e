"""Fixtures for the review page: real design runs (Icarus), a live server on a free port, a browser."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from accelsmith.tools import tool_env

CHROMIUM = os.environ.get("ACCELSMITH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "review"
SMALL_GEMM = {"kind": "gemm", "name": "gemm_2x2_review", "rows": 2, "cols": 2, "k": 4, "in_bits": 8, "acc_bits": 32}
GOOD_PORTS = ".in_a(in_a), .in_b(in_b)"
SWAPPED_PORTS = ".in_a(in_b), .in_b(in_a)"  # square array: widths match, results are transposed
GOOD_END = ".out_data(out_data)\n    );"
TYPO_END = ".out_data(out_data)\n    )"  # a missing semicolon: lint fails before any simulation, which keeps the run fast


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright (CI installs both)")


def _register_test_backends() -> None:
    from accelsmith.agents import Draft, known_backends, register_backend
    from accelsmith.hw_templates import RtlBundle, get as get_template

    if "review-flaky" in known_backends():
        return

    class _Swapping:
        can_repair = True

        def __init__(self, **_options):
            pass

        def draft(self, spec, plan, feedback):
            bundle = get_template(spec.kind).render(spec)
            if self.always_broken:
                bundle = RtlBundle(files={k: v.replace(GOOD_END, TYPO_END) for k, v in bundle.files.items()},
                                   top=bundle.top)
            elif feedback is None:  # first draft simulates wrong, the repair fixes it
                bundle = RtlBundle(files={k: v.replace(GOOD_PORTS, SWAPPED_PORTS) for k, v in bundle.files.items()},
                                   top=bundle.top)
            return Draft(bundle=bundle, tokens_in=1000, tokens_out=500, model="review-test")

    register_backend("review-flaky")(type("Flaky", (_Swapping,), {"name": "review-flaky", "always_broken": False}))
    register_backend("review-broken")(type("Broken", (_Swapping,), {"name": "review-broken", "always_broken": True}))


@pytest.fixture(scope="session")
def real_runs(tmp_path_factory) -> dict:
    """The runs below, built once even when pytest-xdist splits the browser tests over workers."""
    import json

    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") else \
        tmp_path_factory.getbasetemp()
    done = shared / "review_runs.json"
    with FileLock(str(shared / "review_runs.lock")):
        if not done.is_file():
            runs = _make_runs(shared / "review_runs")
            done.write_text(json.dumps({k: str(v) for k, v in runs.items()}))
    runs = json.loads(done.read_text())
    return {**runs, "root": Path(runs["root"]), "wave": runs["wave"] == "True"}


def _make_runs(where: Path) -> dict:
    """A repaired run (wrong results, then fixed; its failing iteration has a waveform) and a run failing lint."""
    if shutil.which("iverilog") is None:
        pytest.skip("icarus not installed (CI installs it)")
    from accelsmith.agents import design
    from accelsmith.runstore import RunStore
    from accelsmith.spec import spec_from_dict
    from accelsmith.verification import TestPlan, run_bench

    _register_test_backends()
    store = RunStore(where / "runs")
    spec = spec_from_dict(SMALL_GEMM)
    repaired = design(spec, store=store, backend="review-flaky", sim="icarus", cross_check=[], max_iterations=3)
    failed = design(spec, store=store, backend="review-broken", sim="icarus", cross_check=[], max_iterations=1)
    out = {"root": store.root, "repaired": repaired["run_id"], "failed": failed["run_id"]}
    it1 = Path(repaired["run_dir"]) / "iter_01"
    bad = list(repaired["history"][0]["sims"]["icarus"]["failed_cases"])
    has_wave = (it1 / "failure_window.json").is_file() or any(it1.rglob("*.vcd"))
    if bad and not has_wave and shutil.which("verilator", path=tool_env()["PATH"]):
        # the flow did not keep a waveform: Verilator's runner writes dump.vcd (Icarus writes FST)
        run_bench(sorted((it1 / "rtl").glob("*.v")), repaired["top"], TestPlan.load(it1.parent / "testplan.json"),
                  it1 / "waves_verilator", sim="verilator", waves=True, cases=bad[:1])
    out["wave"] = (it1 / "failure_window.json").is_file() or any(it1.rglob("*.vcd"))
    return out


def start_server(root: Path) -> tuple[str, object, threading.Thread]:
    import uvicorn

    from accelsmith.review import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # the OS picks a free port; handing the socket over avoids a race
    server = uvicorn.Server(uvicorn.Config(create_app(root), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("review server did not start within 20 s")
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


@pytest.fixture(scope="session")
def live_server(real_runs):
    url, server, thread = start_server(real_runs["root"])
    yield url
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (CI installs it)")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"chromium not found at {CHROMIUM} (CI installs it: apt-get install -y chromium)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg = browser.new_page(viewport={"width": 1280, "height": 900})
    yield pg
    pg.close()
