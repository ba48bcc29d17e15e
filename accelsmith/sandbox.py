"""The OS sandbox every tool that reads untrusted RTL runs in: lint, preprocessing, builds, simulations, synthesis.

A text scan cannot see everything a preprocessor can assemble, so the wall is the operating system:
bubblewrap (``bwrap``) gives each tool a read-only view of the system and of this Python install, no home
folders and no other runs, a private ``/tmp``, no network, its own PID namespace (nothing survives the sandbox),
and an environment built from an allowlist with every secret-like name removed. Resource limits come from
the stage's ``Limits``: memory and process count for the whole sandbox (a cgroup where the host lets us make
one), CPU seconds, file size and open files per process (rlimits through ``prlimit``), bytes written to the
writable folders and wall time (polled here). ``run`` kills the whole sandbox when any is exceeded.

Without bubblewrap, ``run`` refuses (``SandboxUnavailable``) unless the process allowed it with
``allow_unsandboxed(True)`` (the CLI's ``--unsafe-no-sandbox``); the limits, the stripped environment and
the process-group kill still apply then, the filesystem and network walls do not.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from accelsmith.errors import ToolMissing

MiB = 1 << 20
_ENV_ALLOW = re.compile(
    r"^(?:PATH|LANG|LANGUAGE|LC_\w+|TZ|MAKEFLAGS|OBJCACHE|CCACHE_\w+|YOWASP_\w+|PYTHONUNBUFFERED|PYTHONHASHSEED"
    r"|PYTHONDONTWRITEBYTECODE|PYTEST_DISABLE_PLUGIN_AUTOLOAD|ACCELSMITH_\w+|COCOTB_\w+)$")
_SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE", re.I)
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime")


class SandboxUnavailable(ToolMissing):
    """No OS sandbox here, and running untrusted RTL on the host was not allowed."""


@dataclass(frozen=True)
class Limits:
    """What one sandboxed tool run may use. ``memory_mb`` and ``procs`` cover the whole sandbox (per process
    where no cgroup can be made); ``cpu_s`` is per process (default: twice the wall limit plus 30 s)."""

    wall_s: float
    memory_mb: int = 8192
    cpu_s: float | None = None
    file_mb: int = 512
    disk_mb: int = 4096
    procs: int = 256
    open_files: int = 4096
    address_space: bool = True  # False for WebAssembly runtimes, which reserve far more than they use

    def cpu_limit(self) -> int:
        return int(self.cpu_s if self.cpu_s is not None else 2 * self.wall_s + 30)


@dataclass
class Outcome:
    returncode: int
    wall_s: float
    killed: str | None = None   # "time", "memory", "disk", "cpu", "file size", "interrupted"
    limit: str = ""             # the limit that was hit, in words ("60 s", "8192 MiB")
    peak_mb: float | None = None
    sandboxed: bool = True
    log: Path | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.killed is None

    def describe(self, what: str) -> str:
        """One line: why ``what`` stopped, or its exit status."""
        if self.killed == "time":
            return f"{what} exceeded its {self.limit} time limit after {self.wall_s:.1f} s and was killed"
        if self.killed:
            return f"{what} exceeded its {self.killed} limit ({self.limit}) and was killed after {self.wall_s:.1f} s"
        return f"{what} exited with status {self.returncode}"


_allow_host = False


def allow_unsandboxed(flag: bool = True) -> None:
    """Allow tools on untrusted RTL to run without the OS sandbox when none is available (``--unsafe-no-sandbox``)."""
    global _allow_host
    _allow_host = flag


@functools.cache
def _bwrap_problem() -> str | None:
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap (bwrap) is not installed (apt-get install bubblewrap)"
    try:
        out = subprocess.run([exe, "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
                              "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
                              "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "true"],
                             capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as err:
        return f"bwrap could not start: {err}"
    if out.returncode != 0:
        return f"bwrap cannot make namespaces here: {(out.stderr.strip().splitlines() or ['?'])[-1]}"
    return None


def status() -> str:
    """'bwrap' when the sandbox works, else why not."""
    problem = _bwrap_problem()
    return "bwrap" if problem is None else problem


def require() -> bool:
    """True when tools run sandboxed; False when allowed to run on the host; raises ``SandboxUnavailable`` else."""
    problem = _bwrap_problem()
    if problem is None:
        return True
    if _allow_host:
        return False
    raise SandboxUnavailable(f"no OS sandbox for untrusted RTL: {problem}; pass --unsafe-no-sandbox to run the "
                             f"tools on this host without it")


def clean_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The allowlisted, secret-free part of ``env`` (default ``os.environ``), with HOME pointed at /tmp."""
    src = os.environ if env is None else env
    out = {k: v for k, v in src.items() if _ENV_ALLOW.match(k) and not _SECRET.search(k)}
    out.update(HOME="/tmp", TMPDIR="/tmp", USER="sandbox", LOGNAME="sandbox")
    # this interpreter first: tools call `python` (Verilator's makefiles), and shims outside the sandbox are not seen
    out["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), out.get("PATH", "/usr/bin:/bin")])
    return out


@functools.cache
def _code_roots() -> tuple[Path, ...]:
    """What a sandboxed tool reads of this install: the interpreter, the venv, accelsmith's own packages."""
    roots = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).parent]
    for name in ("accelsmith", "accelsmith.verification", "accelsmith.hw_templates", "accelsmith.agents",
                 "accelsmith.prompts", "accelsmith.model_opt"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec and spec.submodule_search_locations:
            roots += [Path(p) for p in spec.submodule_search_locations]
    resolved: list[Path] = []
    for r in sorted({p.resolve() for p in roots if p.exists()}, key=lambda p: len(p.parts)):
        if not any(r.is_relative_to(k) for k in resolved) and not r.is_relative_to("/usr"):
            resolved.append(r)
    return tuple(resolved)


def _bwrap_args(cwd: Path, writable: Iterable[Path], readable: Iterable[Path], tmp_mb: int) -> list[str]:
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-all", "--cap-drop", "ALL",
            "--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            args += ["--symlink", os.readlink(target), str(target)]
        elif target.exists():
            args += ["--ro-bind", str(target), str(target)]
    for name in _ETC:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(tmp_mb * MiB), "--tmpfs", "/tmp"]
    for r in _code_roots():
        args += ["--ro-bind", str(r), str(r)]
    for r in readable:
        r = Path(r).resolve()
        if r.exists():
            args += ["--ro-bind", str(r), str(r)]
    for w in writable:
        w = Path(w).resolve()
        w.mkdir(parents=True, exist_ok=True)
        args += ["--bind", str(w), str(w)]
    return args + ["--chdir", str(Path(cwd).resolve())]


# --- cgroups: memory and process count for the sandbox as a whole ----------------------------------------------

_counter = itertools.count()


@dataclass
class _Cgroup:
    dirs: list[Path] = field(default_factory=list)
    version: int = 0

    def peak_mb(self) -> float | None:
        for d in self.dirs:
            for name in ("memory.peak", "memory.max_usage_in_bytes"):
                try:
                    return int((d / name).read_text()) / MiB
                except (OSError, ValueError):
                    continue
        return None

    def oom_killed(self) -> bool:
        for d in self.dirs:
            for name in ("memory.events", "memory.oom_control"):
                try:
                    text = (d / name).read_text()
                except OSError:
                    continue
                m = re.search(r"^oom_kill (\d+)", text, re.M)
                if m and int(m.group(1)) > 0:
                    return True
        return False

    def hit_limit(self) -> bool:
        for d in self.dirs:
            try:
                if int((d / "memory.failcnt").read_text()) > 0:
                    return True
            except (OSError, ValueError):
                pass
        return False

    def pids(self) -> list[int]:
        out: set[int] = set()
        for d in self.dirs:
            try:
                out |= {int(x) for x in (d / "cgroup.procs").read_text().split()}
            except (OSError, ValueError):
                pass
        return sorted(out)

    def remove(self) -> None:
        for d in self.dirs:
            for _ in range(40):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # processes still leaving
                    for pid in self.pids():
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except OSError:
                            pass
                    time.sleep(0.05)


def _own_cgroup(controller: str) -> str | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            return path
    return None


def _make_cgroup(limits: Limits) -> _Cgroup:
    """A fresh cgroup (v1 memory + pids, or v2) under this process's own; empty when the host allows none."""
    tag = f"accelsmith-{os.getpid()}-{next(_counter)}"
    root = Path("/sys/fs/cgroup")
    cg = _Cgroup()
    try:
        mem, pids = _own_cgroup("memory"), _own_cgroup("pids")
        if mem is not None and pids is not None and (root / "memory").is_dir():
            m = root / "memory" / mem.lstrip("/") / tag
            p = root / "pids" / pids.lstrip("/") / tag
            m.mkdir()
            cg.dirs.append(m)
            (m / "memory.limit_in_bytes").write_text(str(limits.memory_mb * MiB))
            p.mkdir()
            cg.dirs.append(p)
            (p / "pids.max").write_text(str(limits.procs))
            cg.version = 1
    except OSError:
        cg.remove()
        cg = _Cgroup()
    return cg


def _file_sizes(paths: Iterable[Path]):
    """Sizes of the files under ``paths`` (links not followed)."""
    for p in paths:
        for dirpath, _, files in os.walk(p):
            for f in files:
                try:
                    yield os.lstat(os.path.join(dirpath, f)).st_size
                except OSError:
                    pass


def _du(paths: Iterable[Path], cap: int) -> int:
    total = 0
    for size in _file_sizes(paths):
        total += size
        if total > cap:
            break
    return total


def _largest(paths: Iterable[Path]) -> int:
    return max(_file_sizes(paths), default=0)


def run(cmd: list[str], *, cwd: Path, limits: Limits, writable: Iterable[Path] = (), readable: Iterable[Path] = (),
        env: dict[str, str] | None = None, log: Path | None = None, shared_writable: Iterable[Path] = (),
        stop: Callable[[], bool] | None = None, poll_s: float = 0.2) -> Outcome:
    """Run ``cmd`` sandboxed in ``cwd`` with ``limits``; stdout and stderr go to ``log`` (default ``cwd/tool.log``).

    ``writable`` folders (``cwd`` among them) are the only ones the tool may change and their bytes count against
    ``limits.disk_mb``; ``shared_writable`` are writable but uncounted (a compiler cache); ``readable`` are extra
    read-only folders (the sources). ``env`` is filtered through ``clean_env``. ``stop()`` returning True kills the
    run early (reported as interrupted).
    """
    sandboxed = require()
    cwd = Path(cwd).resolve()
    writable = [cwd, *[Path(w).resolve() for w in writable]]
    log = Path(log) if log else cwd / "tool.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    tool_env = clean_env(env)
    rlimits = [f"--cpu={limits.cpu_limit()}:{limits.cpu_limit() + 5}", f"--fsize={limits.file_mb * MiB}", f"--nofile={limits.open_files}",
               "--core=0"]
    cg = _make_cgroup(limits)
    if not cg.dirs and limits.address_space:
        rlimits.append(f"--as={limits.memory_mb * MiB}")  # no cgroup: a per-process bound is the best we have
    inner = list(cmd)
    if sandboxed:
        inner = [*_bwrap_args(cwd, [*writable, *shared_writable], readable, tmp_mb=min(limits.disk_mb, 1024)),
                 "--clearenv", *itertools.chain.from_iterable(("--setenv", k, v) for k, v in tool_env.items()),
                 "--", *inner]
    joins = ":".join(str(d) for d in cg.dirs)
    wrapper = ["/bin/sh", "-c", 'IFS=:; for d in $0; do echo $$ > "$d/cgroup.procs" || exit 125; done; exec "$@"',
               joins, "prlimit", *rlimits, "--", *inner]
    t0 = time.perf_counter()
    killed, limit = None, ""
    with log.open("wb") as out:
        proc = subprocess.Popen(wrapper, cwd=cwd, env=tool_env if not sandboxed else {"PATH": "/usr/bin:/bin"},
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        next_du = t0 + 1.0
        try:
            while True:
                try:
                    rc = proc.wait(timeout=poll_s)
                    break
                except subprocess.TimeoutExpired:
                    pass
                now = time.perf_counter()
                if now - t0 > limits.wall_s:
                    killed, limit = "time", f"{limits.wall_s:.0f} s"
                elif now >= next_du:
                    next_du = now + 1.0
                    if _du(writable, limits.disk_mb * MiB) > limits.disk_mb * MiB:
                        killed, limit = "disk", f"{limits.disk_mb} MiB written"
                if killed is None and stop is not None and stop():
                    killed = "interrupted"
                if killed:
                    _kill(proc, cg)
                    rc = proc.wait()
                    break
        finally:
            if proc.poll() is None:  # Ctrl-C or an exception here: nothing outlives its run
                _kill(proc, cg)
                proc.wait()
    wall = time.perf_counter() - t0
    peak = cg.peak_mb()
    if killed == "time" and cg.hit_limit() and (peak or 0) >= 0.95 * limits.memory_mb:
        # held at its memory limit, a tool can crawl (reclaiming its own pages) instead of being OOM-killed
        killed, limit = "memory", f"{limits.memory_mb} MiB; it ran out of time held at that limit"
    if killed is None:
        if cg.oom_killed() or (rc in (-9, 137) and (cg.hit_limit() or (peak or 0) >= 0.98 * limits.memory_mb)):
            killed, limit = "memory", f"{limits.memory_mb} MiB"
        elif rc in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
            killed, limit = "cpu", f"{limits.cpu_limit()} CPU seconds per process"
        elif rc in (-signal.SIGXFSZ, 128 + signal.SIGXFSZ) or (rc != 0 and _largest(writable) >= limits.file_mb * MiB):
            killed, limit = "file size", f"{limits.file_mb} MiB per file"
    cg.remove()
    return Outcome(returncode=rc, wall_s=wall, killed=killed, limit=limit, peak_mb=peak, sandboxed=sandboxed, log=log)


def _kill(proc: subprocess.Popen, cg: _Cgroup) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # bwrap and, through --die-with-parent and the PID namespace, all inside
    except OSError:
        pass
    for pid in cg.pids():  # a process that left the group (setsid) is still in the cgroup
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def read_capped(path: Path, cap: int = 2 * MiB) -> str:
    """A log's text, at most ``cap`` bytes: the head and the tail when it is longer (a flood never fills memory)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            if size <= cap:
                data = f.read()
            else:
                head = f.read(cap // 2)
                f.seek(size - cap // 2)
                data = head + f"\n[... {size - cap:,} bytes left out ...]\n".encode() + f.read()
    except OSError:
        return ""
    return data.decode(errors="replace")
