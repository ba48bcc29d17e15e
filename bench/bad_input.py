"""Malformed specs through the real CLI: inputs tried, one-line errors, tracebacks and peak memory per input.

    .venv/bin/python bench/bad_input.py [--command design|verify]

Every file in tests/data/bad_specs, plus a folder, a FIFO, /dev/zero and a missing path, goes through
``accelsmith design FILE`` in its own process; peak memory is that process's maximum resident set (wait4).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], cwd: Path) -> tuple[int, str, float, float]:
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "accelsmith.cli", *args], cwd=cwd, stdout=subprocess.DEVNULL,
                                stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    return proc.returncode, text, usage.ru_maxrss / 1024, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--command", default="design", choices=["design", "verify"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        fifo = tmp / "pipe.yaml"
        os.mkfifo(fifo)
        inputs = sorted((ROOT / "tests" / "data" / "bad_specs").glob("*.yaml")) + [tmp, fifo, Path("/dev/zero"),
                                                                                  tmp / "missing.yaml"]
        rtl = ROOT / "examples" / "user" / "clamp_top.v"
        one_line = tracebacks = 0
        peak, slowest = (0.0, ""), (0.0, "")
        for path in inputs:
            cli = ["design", str(path)] if args.command == "design" else ["verify", str(path), str(rtl)]
            rc, err, mib, secs = run([*cli, "--runs-dir", str(tmp / "runs")], ROOT)
            lines = err.strip().splitlines()
            ok = rc == 2 and len(lines) == 1 and lines[0].startswith("error: ")
            one_line += ok
            tracebacks += "Traceback" in err
            peak = max(peak, (mib, path.name))
            slowest = max(slowest, (secs, path.name))
            if not ok:
                print(f"  NOT ONE LINE ({rc}): {path.name}: {err.strip()[-300:]}")
        print(f"{len(inputs)} inputs through `accelsmith {args.command}`: {one_line} one-line errors (exit 2), "
              f"{tracebacks} tracebacks; peak memory {peak[0]:.0f} MiB ({peak[1]}); slowest {slowest[0]:.1f} s "
              f"({slowest[1]})")


if __name__ == "__main__":
    main()
