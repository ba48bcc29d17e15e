"""Fanning a campaign's units of work out: local threads (each unit runs its tools as its own processes), or Ray
tasks on a cluster (``ray_address``: ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``).

A unit is ``fn(*args)`` where one argument may be ``ROOT``: the folder the unit writes under. Locally that is the
campaign's folder; on Ray each task gets a fresh folder on its worker, and what the unit wrote there comes back as
a tar archive and is unpacked into the campaign's folder, with the worker's path in the result rewritten to the
local one, so a run on a cluster leaves the same folders and results as a local one. Ray is imported only when an
address is given. Tasks declare their needs (``cpus``, ``memory_mb``) and are retried on worker loss
(``RETRIES``); Ctrl-C cancels what has not finished and raises ``Interrupted`` with what has.
"""

from __future__ import annotations

import io
import shutil
import socket
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from accelsmith.errors import AccelsmithError, UsageError

RETRIES = 3  # a task whose worker dies is run again this many times


class _Root:
    def __repr__(self) -> str:
        return "ROOT"


ROOT = _Root()
"""Stands for the unit's folder in ``fn``'s arguments."""


class Interrupted(AccelsmithError):
    """Ctrl-C during a campaign: the outstanding units were cancelled; ``done`` holds the finished units' results
    (``None`` where a unit did not finish), in the order the units were given."""

    def __init__(self, done: list):
        self.done = done
        super().__init__(f"interrupted: {sum(r is not None for r in done)} of {len(done)} units finished")


@dataclass(frozen=True)
class Needs:
    """What one unit asks of a worker."""

    cpus: float = 1.0
    memory_mb: int = 512


def fan_out(fn: Callable, calls: Sequence[tuple], root: Path | None, *, jobs: int = 2,
            ray_address: str | None = None, needs: Callable[[tuple], Needs] | None = None,
            progress: Callable[[Any], None] | None = None) -> list:
    """``[fn(*args) for args in calls]`` with ``ROOT`` in ``args`` standing for ``root``: ``jobs`` at a time in
    local threads, or as Ray tasks with ``needs(args)`` (default one CPU, 512 MB). ``progress(result)`` is called
    for each finished unit (locally in the given order, on Ray as they finish). Results are in the given order.
    ``root`` None: the units write no files (a Ray task's folder is not brought back)."""
    if root is None:
        if any(isinstance(a, _Root) for args in calls for a in args):
            raise ValueError("fan_out: a unit names ROOT but no root folder was given")
    else:
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
    if ray_address:
        return _on_ray(fn, calls, root, ray_address, needs or (lambda _: Needs()), progress)
    results: list = [None] * len(calls)
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    futures = [pool.submit(fn, *_place(args, root)) for args in calls]
    try:
        for i, fut in enumerate(futures):
            results[i] = fut.result()
            if progress:
                progress(results[i])
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        raise Interrupted([f.result() if f.done() and not f.cancelled() and f.exception() is None else None
                           for f in futures]) from None
    pool.shutdown()
    return results


def _place(args: tuple, root: Path) -> tuple:
    return tuple(root if isinstance(a, _Root) else a for a in args)  # a copy unpickled on a worker is not ROOT


def relocate(value, old: str, new: str):
    """``value`` with every string (and path) under ``old`` rewritten to ``new``, through dicts, lists, tuples and
    dataclasses."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, Path):
        return Path(str(value).replace(old, new))
    if isinstance(value, dict):
        return {k: relocate(v, old, new) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(relocate(v, old, new) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        changed = {f.name: relocate(getattr(value, f.name), old, new) for f in fields(value) if f.init}
        if getattr(type(value), "__dataclass_params__").frozen:
            return replace(value, **changed)
        for k, v in changed.items():
            setattr(value, k, v)
        return value
    return value


def _unit(fn: Callable, *args) -> tuple[Any, bytes, str, float]:
    """One Ray task: ``fn`` in a fresh folder of the worker's; returns (result, tar of the folder, its path,
    seconds)."""
    t0 = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="accelsmith_task_"))
    try:
        result = fn(*_place(args, folder))
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:  # builds are large; -9 costs seconds
            for p in sorted(folder.iterdir()):
                tar.add(p, arcname=p.name)
        return result, buf.getvalue(), str(folder), time.perf_counter() - t0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def connect(address: str) -> None:
    """Join the Ray cluster at ``address`` (once per process); a missing package or an unreachable address is one
    line. Workers import accelsmith from their own Python, so every machine of the cluster needs the same
    install (docs/campaigns.md)."""
    try:
        import ray
    except ImportError:
        raise UsageError("--ray-address needs Ray: .venv/bin/pip install -e '.[ray]' "
                         "(scripts/setup.sh --test installs it)") from None
    if address != "auto":  # Ray itself waits minutes for an address nobody answers on
        host, _, port = address.removeprefix("ray://").rpartition(":")
        if not host or not port.isdigit():
            raise UsageError(f"cannot join the Ray cluster at {address!r}: not HOST:PORT, ray://HOST:PORT or auto")
        try:
            socket.create_connection((host, int(port)), timeout=5).close()
        except OSError as err:
            raise UsageError(f"cannot join the Ray cluster at {address!r}: {err.strerror or err}") from None
    global _joined
    if ray.is_initialized():
        if _joined == address:
            return
        ray.shutdown()
    try:
        ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise UsageError(f"cannot join the Ray cluster at {address!r}: {str(err).splitlines()[0]}") from None
    _joined = address


_joined: str | None = None


def _on_ray(fn, calls, root: Path | None, address: str, needs, progress) -> list:
    import ray

    connect(address)
    task = ray.remote(_unit)
    shared: dict[int, Any] = {}  # an argument object given to many units (a bundle, a plan) goes to the store once
    refs = []
    for args in calls:
        n = needs(args)
        put = []
        for a in args:
            if isinstance(a, (dict, list)) or hasattr(a, "model_dump"):
                if id(a) not in shared:
                    shared[id(a)] = ray.put(a)
                a = shared[id(a)]
            put.append(a)
        refs.append(task.options(num_cpus=n.cpus, memory=n.memory_mb << 20, max_retries=RETRIES,
                                 retry_exceptions=False).remote(fn, *put))
    index = {ref: i for i, ref in enumerate(refs)}
    results: list = [None] * len(refs)
    pending = list(refs)
    try:
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            i = index[ready[0]]
            result, archive, there, _ = ray.get(ready[0])
            if root is not None:
                with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
                    tar.extractall(root, filter="data")
                result = relocate(result, there, str(root))
            results[i] = result
            if progress:
                progress(results[i])
    except KeyboardInterrupt:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise Interrupted(results) from None
    except BaseException:  # a unit that failed (Ray raises it as its own class too): the rest is not waited for
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    return results
