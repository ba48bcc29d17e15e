"""Page load time of the review page over a store of N runs (copies of one real run + index rows).

Usage: python bench/review_load.py SOURCE_RUN_DIR [--runs 120] [--repeat 20] [--out bench/out/review_load.json]
SOURCE_RUN_DIR is a real run folder (e.g. from `accelsmith design examples/gemm_8x8_int8.yaml --runs-dir /tmp/r`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

# build outputs are not what the review page reads; skipping them keeps the copy small
SKIP = shutil.ignore_patterns("obj_dir", "*.o", "*.gch", "*.cpp", "*.h", "*.d", "*.mk", "sim.vvp", "V*")


def build_store(source: Path, root: Path, n: int) -> list[str]:
    from accelsmith.runstore import RunStore

    src_db = sqlite3.connect(source.parent / "runs.sqlite")
    src_db.row_factory = sqlite3.Row
    row = src_db.execute("SELECT * FROM runs WHERE run_id = ?", (source.name,)).fetchone()
    if row is None:
        sys.exit(f"error: {source.name!r} is not in {source.parent / 'runs.sqlite'}")
    row = dict(row)
    RunStore(root)  # creates the schema
    ids = []
    db = sqlite3.connect(root / "runs.sqlite")
    with Progress(console=Console(stderr=True)) as progress:
        task = progress.add_task(f"copying {n} runs", total=n)
        for i in range(n):
            run_id = f"{source.name}-copy{i:04d}"
            shutil.copytree(source, root / run_id, ignore=SKIP)
            status = "verified" if i % 3 else "failed"  # a mix, so filters have work to do
            db.execute(f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                       [*({**row, "run_id": run_id, "created": row["created"] + i, "status": status}.values())])
            ids.append(run_id)
            progress.advance(task)
    db.commit()
    return ids


def timed_get(url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as resp:
        body = resp.read()
    return time.perf_counter() - t0, len(body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("--runs", type=int, default=120)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--out", type=Path, default=Path("bench/out/review_load.json"))
    args = ap.parse_args()
    import uvicorn

    from accelsmith.review import create_app

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        ids = build_store(args.source.resolve(), root, args.runs)
        server = uvicorn.Server(uvicorn.Config(create_app(root), host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        pages = {"list": "/", "list_filtered": "/?status=failed", "detail": f"/runs/{ids[len(ids) // 2]}"}
        results = {}
        with Progress(console=Console(stderr=True)) as progress:
            task = progress.add_task("timing pages", total=len(pages) * (args.repeat + 1))
            for name, path in pages.items():
                first, size = timed_get(base + path)  # the first hit includes lazy imports
                progress.advance(task)
                times = []
                for _ in range(args.repeat):
                    times.append(timed_get(base + path)[0])
                    progress.advance(task)
                results[name] = {"first_s": round(first, 4), "median_s": round(statistics.median(times), 4),
                                 "max_s": round(max(times), 4), "bytes": size}
        server.should_exit = True
        thread.join(10)
    report = {"runs": args.runs, "repeat": args.repeat, "pages": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    Console().print_json(json.dumps(report))


if __name__ == "__main__":
    main()
