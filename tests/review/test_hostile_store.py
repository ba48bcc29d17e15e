"""The review page against a hostile store, over real HTTP (uvicorn) and in a real browser: links planted in run
folders never serve anything from outside the store, the page writes nothing, HEAD works, huge diffs are cut."""

from __future__ import annotations

import os
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from accelsmith.runstore import RunStore, write_json
from accelsmith.spec import spec_from_dict
from conftest import start_server

GEMM = {"kind": "gemm", "name": "g2", "rows": 2, "cols": 2, "k": 4}
PASSWD = Path("/etc/passwd").read_text().splitlines()[0]
SECRET = "OUTSIDE-SECRET-7f3a"


def _run(store: RunStore, rtl: dict[str, str]) -> tuple[str, Path]:
    run_id = store.create(spec_from_dict(GEMM), "expert")
    folder = store.folder(run_id)
    for n, text in enumerate(rtl.values(), 1):
        (folder / f"iter_{n:02d}" / "rtl").mkdir(parents=True)
        (folder / f"iter_{n:02d}" / "rtl" / "top.v").write_text(text)
        write_json(folder / f"iter_{n:02d}" / "diagnostics.json", [])
    (folder / "report.md").write_text("# fine\n")
    store.update(run_id, status="failed", iterations=len(rtl))
    return run_id, folder


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile_store")
    outside = base / "outside"
    (outside / "iter_01" / "rtl").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET)
    (outside / "iter_01" / "rtl" / "top.v").write_text(f"// {SECRET}\n")
    store = RunStore(base / "runs")
    ids = {}
    ids["report"], f = _run(store, {"1": "module top; endmodule\n"})
    (f / "report.md").unlink()
    (f / "report.md").symlink_to("/etc/passwd")
    ids["rtl_file"], f = _run(store, {"1": "module top; endmodule\n"})
    (f / "iter_01" / "rtl" / "top.v").unlink()
    (f / "iter_01" / "rtl" / "top.v").symlink_to("/proc/self/environ")
    ids["rtl_dir"], f = _run(store, {"1": "module top; endmodule\n"})
    shutil.rmtree(f / "iter_01" / "rtl")
    (f / "iter_01" / "rtl").symlink_to(outside / "iter_01" / "rtl")
    ids["iteration"], f = _run(store, {"1": "module top; endmodule\n"})
    shutil.rmtree(f / "iter_01")
    (f / "iter_01").symlink_to(outside / "iter_01")
    ids["spec"], f = _run(store, {"1": "module top; endmodule\n"})
    (f / "spec.json").unlink()
    (f / "spec.json").symlink_to(outside / "secret.txt")
    ids["fifo"], f = _run(store, {"1": "module top; endmodule\n"})
    (f / "report.md").unlink()
    os.mkfifo(f / "report.md")
    big_a = "".join(f"assign w{i} = a{i};\n" for i in range(20_000))
    big_b = "".join(f"assign w{i} = b{i};\n" for i in range(20_000))
    ids["huge_diff"], _ = _run(store, {"1": big_a, "2": big_b})
    ids["long_diff"], _ = _run(store, {"1": big_a[:200_000 // 2], "2": big_b[:200_000 // 2]})
    url, server, thread = start_server(store.root)
    yield {"url": url, "ids": ids, "root": store.root, "outside": outside}
    server.should_exit = True
    thread.join(10)


def _get(url: str, method: str = "GET") -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=60) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


@pytest.mark.parametrize("which", ["report", "rtl_file", "rtl_dir", "iteration", "spec", "fifo"])
def test_planted_links_serve_nothing_from_outside(hostile, which):
    run_id = hostile["ids"][which]
    status, body = _get(f"{hostile['url']}/runs/{run_id}")
    assert status == 200
    assert PASSWD not in body and SECRET not in body and "OPENAI_API_KEY" not in body and "PATH=" not in body
    assert "not a regular file inside the run store" in body or "a link out of the run folder" in body
    for rel in ("report.md", "iter_01/rtl/top.v", "spec.json", "../outside/secret.txt", "iter_01/../../outside/secret.txt",
                "%2e%2e/%2e%2e/outside/secret.txt", "/etc/passwd"):
        status, raw = _get(f"{hostile['url']}/runs/{run_id}/raw/{rel}")
        assert PASSWD not in raw and SECRET not in raw, (rel, status)


def test_the_page_writes_nothing_and_answers_head(hostile):
    before = sorted(p.relative_to(hostile["root"]) for p in hostile["root"].rglob("*"))
    for run_id in hostile["ids"].values():
        assert _get(f"{hostile['url']}/runs/{run_id}", "HEAD")[0] == 200
    assert _get(f"{hostile['url']}/", "HEAD")[0] == 200 and _get(f"{hostile['url']}/healthz", "HEAD")[0] == 200
    after = sorted(p.relative_to(hostile["root"]) for p in hostile["root"].rglob("*"))
    assert after == before
    assert not [p for p in after if str(p).endswith(("-wal", "-shm", "-journal"))]


def test_huge_diffs_are_cut_with_links_to_the_raw_files(hostile):
    t0 = time.perf_counter()
    status, body = _get(f"{hostile['url']}/runs/{hostile['ids']['huge_diff']}")
    assert status == 200 and "not diffed here; compare the raw files" in body
    assert f"/runs/{hostile['ids']['huge_diff']}/raw/iter_02/rtl/top.v" in body
    status, raw = _get(f"{hostile['url']}/runs/{hostile['ids']['huge_diff']}/raw/iter_02/rtl/top.v")
    assert status == 200 and raw.count("\n") == 20_000
    status, body = _get(f"{hostile['url']}/runs/{hostile['ids']['long_diff']}")
    assert status == 200 and "diff cut at 2,000 of" in body
    print(f"huge-diff pages served in {time.perf_counter() - t0:.1f} s")


@pytest.mark.browser
def test_the_browser_sees_the_note_not_the_file(hostile, page):
    page.goto(f"{hostile['url']}/runs/{hostile['ids']['report']}")
    text = page.inner_text("body")
    assert PASSWD not in text and "report.md: not a regular file inside the run store" in text
