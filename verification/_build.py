"""Simulator builds: Verilator options chosen by measurement, and a per-spec build cache.

cocotb's runner hard-codes ``--public-flat-rw`` (every signal gets a VPI handle: for a 32x32 GEMM array the
C++ grows 13 MB -> 30 MB and one ``-Os`` translation unit compiled for over 9 minutes). The bench reads only
the top module's ports, so only those are made public (a control file), large functions are split
(``--output-split-cfuncs``) so g++ never meets a 10,000-line function, and the C++ is compiled at ``-O1``
(``docs/toolchain.md`` has the measurements; ``bench/scale.py`` re-takes them).

A finished build is stored under its key (sources, top, simulator, options, tool versions) in the build cache,
so an unchanged design never rebuilds: the next bench copies the executable instead of compiling.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

ENV_BUILD_CACHE = "ACCELSMITH_BUILD_CACHE"  # a folder, or "off"


@dataclass(frozen=True)
class BuildOptions:
    """How Verilator builds a bench executable. ``LEGACY`` is cocotb's default, kept for side-by-side figures."""

    public: str = "top"          # "top": the top module's signals only; "flat": every signal (cocotb's default)
    split_cfuncs: int = 1000     # --output-split-cfuncs (0: off); keeps each C++ function small enough for g++
    opt_fast: str = "-O1"        # OPT_FAST / OPT_GLOBAL for the generated C++ (verilated.mk's default is -Os)
    opt_slow: str = "-O0"        # OPT_SLOW: constructors and one-time initialisation
    x_assign: str = "fast"       # --x-assign
    threads: int = 1             # --threads (a bench drives one clock from Python: more threads did not help)

    def verilator_args(self, top: str, build_dir: Path) -> list[str]:
        args = ["--x-assign", self.x_assign]
        if self.split_cfuncs:
            args += ["--output-split-cfuncs", str(self.split_cfuncs)]
        if self.threads > 1:
            args += ["--threads", str(self.threads)]
        if self.public == "top":
            vlt = build_dir / "public_top.vlt"
            vlt.write_text(f'`verilator_config\npublic_flat_rw -module "{top}" -var "*"\n')
            args.append(str(vlt))
        return args

    def make_args(self) -> list[str]:
        if not self.opt_fast:
            return []
        return [f"OPT_FAST={self.opt_fast}", f"OPT_GLOBAL={self.opt_fast}", f"OPT_SLOW={self.opt_slow}"]


DEFAULT_BUILD = BuildOptions()
LEGACY_BUILD = BuildOptions(public="flat", split_cfuncs=0, opt_fast="", opt_slow="")


def verilator_runner(options: BuildOptions, top: str, build_dir: Path):
    """cocotb's Verilator runner with ``options`` applied to its two build commands."""
    from cocotb_tools.runner import Verilator

    class _Tuned(Verilator):
        def _build_command(self):
            verilate, make = super()._build_command()
            if options.public != "flat":
                verilate = [a for a in verilate if a != "--public-flat-rw"]
            cpp = next(i for i, a in enumerate(verilate) if str(a).endswith("verilator.cpp"))
            verilate[cpp:cpp] = options.verilator_args(top, build_dir)
            return [verilate, [*make, *options.make_args()]]

    return _Tuned()


def tool_build_args(sim: str) -> list[str]:
    """Compiler arguments of a bench build (part of the cache key)."""
    return ["-g2012"] if sim == "icarus" else ["-Wno-fatal", "-Wno-lint", "-Wno-style"]


# what a bench needs from a finished build, per simulator (relative to the build folder)
def artefacts(sim: str, top: str) -> list[str]:
    return [top] if sim == "verilator" else ["sim.vvp"]


def cache_root() -> Path | None:
    value = os.environ.get(ENV_BUILD_CACHE, "")
    if value.lower() == "off":
        return None
    return Path(value) if value else Path.home() / ".cache" / "accelsmith" / "builds"


def build_key(sim: str, sources: list[str], top: str, *, waves: bool, options: BuildOptions,
              build_args: list[str], versions: dict[str, str]) -> str:
    h = hashlib.sha256()
    for s in sources:
        h.update(Path(s).name.encode() + b"\0" + Path(s).read_bytes() + b"\0")
    # the install too: a Verilator executable links this venv's cocotb libraries by absolute path, and another
    # checkout's sandbox cannot see them
    h.update(json.dumps({"sim": sim, "top": top, "waves": waves, "args": build_args, "versions": versions,
                         "install": str(Path(sys.prefix).resolve()),
                         "options": asdict(options) if sim == "verilator" else None}, sort_keys=True).encode())
    return h.hexdigest()[:24]


def fetch_cached(key: str, sim: str, top: str, build_dir: Path) -> bool:
    """Copy a cached build into ``build_dir``; False when there is none."""
    root = cache_root()
    if root is None:
        return False
    entry = root / key
    names = artefacts(sim, top)
    if not (entry / "complete").exists() or not all((entry / n).is_file() for n in names):
        return False
    for n in names:
        shutil.copy2(entry / n, build_dir / n)
    return True


def store_cached(key: str, sim: str, top: str, build_dir: Path) -> None:
    """Keep a finished build's artefacts under ``key`` (written to a temporary folder, then renamed)."""
    root = cache_root()
    if root is None:
        return
    entry = root / key
    if (entry / "complete").exists():
        return
    tmp = root / f".{key}.{os.getpid()}"
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        for n in artefacts(sim, top):
            shutil.copy2(build_dir / n, tmp / n)
        (tmp / "complete").write_text("")
        os.replace(tmp, entry)
    except OSError:  # a full disk or a racing writer costs the cache entry, never the bench
        shutil.rmtree(tmp, ignore_errors=True)
