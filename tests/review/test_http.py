"""Review page over HTTP without a browser: 404s, damaged run folders, escaping, read-only, path safety."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accelsmith.review import create_app, run_folder
from accelsmith.runstore import RunStore, write_json
from accelsmith.spec import spec_from_dict

GEMM = {"kind": "gemm", "name": "g2", "rows": 2, "cols": 2, "k": 4, "in_bits": 8, "acc_bits": 32}
RTL = "module top(input wire clk);\n  wire <img src=x onerror=alert(1)> ;\nendmodule\n"
EVIL = "<script>alert('pwned')</script>"


def _run(store: RunStore, iterations: int = 1, status: str = "failed") -> tuple[str, Path]:
    """A hand-made run folder shaped like the agents write it."""
    run_id = store.create(spec_from_dict(GEMM), "expert")
    folder = store.folder(run_id)
    for n in range(1, iterations + 1):
        it = folder / f"iter_{n:02d}"
        (it / "rtl").mkdir(parents=True)
        (it / "rtl" / "top.v").write_text(RTL)
        write_json(it / "diagnostics.json", [{"tool": "pyslang", "severity": "error", "file": "/abs/top.v",
                                              "line": 2, "code": "X", "message": EVIL}])
        write_json(it / "bench_icarus" / "cases" / "random.json",
                   {"case": "random", "passed": False, "mismatches": [{"beat": 0, "field": "data", "lane": 1,
                                                                        "expected": 5, "got": 7, "cycle": 9}]})
    (folder / "report.md").write_text(f"# report\n{EVIL}\n")
    store.update(run_id, status=status, iterations=iterations, stop_reason="budget")
    return run_id, folder


@pytest.fixture
def client(store):
    return TestClient(create_app(store.root))


def test_unknown_run_is_a_404_page(client):
    r = client.get("/runs/20990101-000000-gemm-000000-beef")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    assert "no run &#39;20990101-000000-gemm-000000-beef&#39;" in r.text


@pytest.mark.parametrize("path", ["/runs/..%2F..%2Fetc%2Fpasswd", "/runs/%2e%2e", "/runs/.hidden",
                                  "/runs/a%00b", "/../../etc/passwd"])
def test_paths_cannot_leave_the_store(client, store, path):
    (store.root.parent / "etc").mkdir(exist_ok=True)
    assert client.get(path).status_code == 404


def test_run_folder_rejects_escapes(tmp_path):
    assert run_folder(tmp_path, "..") is None
    assert run_folder(tmp_path, "a/../../b") is None
    assert run_folder(tmp_path, "ok-run_1.2") == tmp_path.resolve() / "ok-run_1.2"


def test_missing_spec_truncated_json_and_missing_iterations_are_listed(client, store):
    run_id, folder = _run(store, iterations=1)
    (folder / "spec.json").unlink()
    (folder / "iter_01" / "diagnostics.json").write_text('[{"tool": "pysl')
    store.update(run_id, iterations=3)
    r = client.get(f"/runs/{run_id}")
    assert r.status_code == 200
    problems = r.text[r.text.index('id="problems"'):r.text.index("</ul>")]
    assert "spec.json: missing" in problems
    assert "iter_01/diagnostics.json: invalid or truncated JSON" in problems
    assert "iter_02/: missing (index says 3 iterations)" in problems
    assert "iter_03/: missing" in problems


def test_indexed_run_without_folder_still_renders(client, store):
    run_id, folder = _run(store)
    shutil.rmtree(folder)
    r = client.get(f"/runs/{run_id}")
    assert r.status_code == 200
    assert f"run folder {run_id}/ is missing" in r.text


def test_run_content_is_escaped(client, store):
    run_id, _ = _run(store)
    r = client.get(f"/runs/{run_id}")
    assert EVIL not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in r.text
    assert 'href="#it1-top.v-L2"' in r.text, "diagnostic should link to its source line"
    assert 'id="it1-top.v-L2"' in r.text


def test_failing_case_is_marked_and_failure_window_drawn(client, store):
    run_id, folder = _run(store)
    write_json(folder / "iter_01" / "failure_window.json", {
        "sim": "verilator", "case": "random", "vcd": "iter_01/failure_random.vcd", "t_start": 0, "t_end": 100,
        "signals": {"out_valid": [[0, "0"], [40, "1"]], "out_data": [[0, "'h0"], [40, "'hbeef"]]}})
    write_json(folder / "ppa.json", {"top": "t", "synth": {"ok": True, "cells": 1234, "logic_depth": 7},
                                      "fpga": {"ok": True, "device": "ecp5-85k", "luts": 321, "fmax_mhz": 88.5}})
    r = client.get(f"/runs/{run_id}")
    assert '<tr class="fail" data-case="random">' in r.text
    assert "expected 5, got 7 (cycle 9)" in r.text
    assert 'id="waveform-svg"' in r.text and ">beef</text>" in r.text and ">out_valid</text>" in r.text
    ppa = r.text[r.text.index('id="ppa"'):]
    assert "cells</th><td>1234" in ppa and "logic_depth</th><td>7" in ppa
    assert 'id="ppa-fpga"' in ppa and "luts</th><td>321" in ppa and "fmax_mhz</th><td>88.5" in ppa


def test_list_filters_and_never_touches_the_store(tmp_path, store):
    ok_id, _ = _run(store, status="verified")
    bad_id, _ = _run(store, status="failed")
    client = TestClient(create_app(store.root))
    text = client.get("/?status=verified").text
    assert ok_id in text and bad_id not in text
    assert bad_id in client.get("/?status=failed&kind=gemm").text
    assert client.post("/").status_code == 405
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "No runs in" in TestClient(create_app(empty)).get("/").text
    assert list(empty.iterdir()) == [], "the review page must not create files in the store"


def test_cli_rejects_a_missing_store(tmp_path):
    from typer.testing import CliRunner

    from accelsmith.cli import app

    result = CliRunner().invoke(app, ["review", "--runs-dir", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "is not a folder" in result.output


def test_system_report_page_links_blocks_and_escapes(tmp_path):
    store = RunStore(tmp_path / "flow" / "runs")
    run_id, _ = _run(store, status="verified")
    report = {"model": EVIL, "model_type": "bert", "seq_len": 128, "clock_mhz": 500.0, "total_cycles": 1234567,
              "inferences_per_s": 405.0, "tokens_per_s": 51840.0,
              "blocks": [{"name": "gemm_32x32_int8", "summary": "32x32", "status": "verified", "run_id": run_id,
                          "sims": {"verilator": {"cases": "10/10"}, "icarus": {"cases": "9/9", "reduced_plan": True}},
                          "cells": None, "synth_note": "not synthesised", "flip_flops": None, "logic_depth": None,
                          "cycles_per_job": 131.2}],
              "layers": [{"layer": "layer 0", "cycles": 1234567, "by_block": {"gemm_32x32_int8": 1234567}}]}
    write_json(tmp_path / "flow" / "system_report.json", report)
    client = TestClient(create_app(store.root))
    assert 'href="/system"' in client.get("/").text
    page = client.get("/system")
    assert page.status_code == 200
    assert f'href="/runs/{run_id}"' in page.text and "icarus 9/9 (reduced)" in page.text
    assert "1,234,567 cycles per inference" in page.text
    assert EVIL not in page.text and "&lt;script&gt;" in page.text


def test_system_page_without_a_flow_is_a_404(client):
    r = client.get("/system")
    assert r.status_code == 404 and "accelsmith flow writes one" in r.text


def test_candidates_and_fixes_of_an_iteration_are_shown_and_escaped(client, store):
    run_id, folder = _run(store)
    write_json(folder / "iter_01" / "candidates.json", {"chosen": 1, "candidates": [
        {"candidate": 0, "model": EVIL, "temperature": 0.0, "seed": None, "fingerprint": "aaaa", "unsafe": False,
         "compiles": False, "lint_errors": 3, "cases": 9, "cases_passed": 0, "fixes_applied": 0},
        {"candidate": 1, "model": "m", "temperature": 0.7, "seed": 1235, "fingerprint": "bbbb", "unsafe": False,
         "compiles": True, "lint_errors": 0, "cases": 9, "cases_passed": 7, "fixes_applied": 1}]})
    write_json(folder / "iter_01" / "fixes.json", [{"fixer": "net_to_reg", "kept": True, "errors_before": 2,
                                                    "errors_after": 0}])
    r = client.get(f"/runs/{run_id}")
    cands = r.text[r.text.index('class="candidates"'):]
    assert "3 lint errors" in cands and "compiles, 7/9 cases, 1 fixes" in cands and "1 (kept)" in cands
    assert "greedy" in cands and "1235" in cands and EVIL not in r.text
    assert "net_to_reg: kept (2 errors -> 0)" in r.text
