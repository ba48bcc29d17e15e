"""Launching a design run: create the run folder, stream the graph with progress, index the result."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver
from pydantic import ValidationError

from accelsmith.agents._backends import get_backend
from accelsmith.agents._options import LlmOptions, resolve_backend_options
from accelsmith.agents.config import CONFIG_FILE, Limits, RunConfig
from accelsmith.agents.graph import build_graph
from accelsmith.errors import ConfigError, StoreError
from accelsmith.runstore import RunStore, write_json
from accelsmith.spec import BlockSpec
from accelsmith.tools import tool_versions
from accelsmith.verification import get_simulator

ProgressFn = Callable[[str, dict], None]


def design(spec: BlockSpec, *, store: RunStore | None = None, backend: str = "expert", sim: str = "verilator",
           cross_check: list[str] | None = None, max_iterations: int = 4, bench_timeout_s: float | None = None,
           on_progress: ProgressFn | None = None, backend_options: dict | None = None,
           max_tokens: int | None = None, wall_clock_s: float | None = None, force_scratch: bool | None = None,
           waves: bool | None = None, fixers: bool | None = None, retrieve: bool | None = None,
           shell: bool | None = None,
           candidates: int | None = None,
           temperature: float | None = None, estimate: bool = False, fpga: str | None = "ecp5-85k",
           lint_timeout_s: float | None = None, build_timeout_s: float | None = None, memory_mb: int | None = None,
           allow_large: bool = False,
           llm: LlmOptions | None = None) -> dict:
    """Run the design graph for one spec; returns the final state (with ``run_id``).

    ``bench_timeout_s`` (each simulation), ``build_timeout_s`` and ``lint_timeout_s`` left as None scale with the
    design (``verification._limits``); ``memory_mb`` bounds each sandboxed build and simulation (default 12 GiB
    and 8 GiB). A spec too large to verify here (``verification._limits.check_effort``) is refused before the run
    exists unless ``allow_large``. Options left as None come from ``llm`` (the command line's LLM options), else
    their defaults. The run's configuration (``agents.config.RunConfig``) is saved as ``config.json`` in the run
    folder and handed to the graph as configuration; API keys are never part of it or of the state.
    """
    from accelsmith import sandbox

    from accelsmith.verification._limits import check_effort

    sandbox.require()  # before the run exists: no sandbox and no --unsafe-no-sandbox is a one-line error
    if not allow_large:
        check_effort(spec, spec.name or "")
    llm = llm or LlmOptions()
    backend_options = resolve_backend_options(backend, backend_options, llm)
    get_backend(backend, **backend_options)  # fail early on an unknown backend or a missing model
    for s in [sim, *(cross_check or [])]:
        get_simulator(s)
    try:
        cfg = RunConfig(
            backend=backend, backend_options=backend_options, sim=sim, cross_check=tuple(cross_check or ()),
            max_iterations=max_iterations, max_tokens=(llm.max_tokens or 0) if max_tokens is None else max_tokens,
            wall_clock_s=(llm.wall_clock_s or 0.0) if wall_clock_s is None else wall_clock_s,
            force_scratch=llm.scratch if force_scratch is None else force_scratch,
            waves=llm.waves if waves is None else waves, fixers=llm.fixers if fixers is None else fixers,
            retrieve=llm.retrieve if retrieve is None else retrieve, shell=llm.shell if shell is None else shell,
            candidates=llm.candidates if candidates is None else candidates,
            temperature=llm.temperature if temperature is None else temperature, estimate=estimate, fpga=fpga,
            bench_timeout_s=bench_timeout_s,
            limits=Limits(lint_s=lint_timeout_s, build_s=build_timeout_s, sim_s=bench_timeout_s, memory_mb=memory_mb))
    except ValidationError as err:
        raise ConfigError(f"run configuration: {err.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    store = store or RunStore()
    run_id = store.create(spec, backend)
    run_dir = store.folder(run_id)
    write_json(run_dir / "tools.json", tool_versions())
    cfg.save(run_dir)
    state = {"run_id": run_id, "run_dir": str(run_dir.resolve()), "spec": spec.to_json(), "history": [], "cost": {}}
    return _stream(store, run_id, state, cfg, on_progress)


def design_unit(spec: BlockSpec, root: Path, options: dict) -> tuple[dict, dict, float]:
    """One block's design run as a unit of work (a Ray task of ``design --from-profile`` or ``flow``): a run store
    of its own at ``root``; returns the final state, the run's index row (for ``RunStore.adopt``) and seconds."""
    from dataclasses import asdict

    t0 = time.perf_counter()
    store = RunStore(root)
    final = design(spec, store=store, **options)
    return final, asdict(store.get(final["run_id"])), time.perf_counter() - t0


def design_on_ray(specs: list[BlockSpec], options: Callable[[BlockSpec], dict], store: RunStore, address: str,
                  on_final: Callable[[BlockSpec, dict, float], None] | None = None) -> list[dict]:
    """Each spec's design run (``design(spec, **options(spec))``) as a Ray task; each finished run is moved into
    ``store`` as it comes back and handed to ``on_final(spec, final, seconds)`` (Ctrl-C keeps those). Returns the
    final states in the order the runs finished."""
    import shutil
    import tempfile

    from accelsmith.fanout import ROOT, Needs, fan_out, relocate

    # inside the store (a run moves in by rename), one per command (two commands may share a store)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=store.root))
    by_hash = {s.spec_hash: s for s in specs}
    finals: list[dict] = []

    def adopt(result: tuple[dict, dict, float]) -> None:
        final, row, seconds = result
        here = store.adopt(staging / row["run_id"], row)
        finals.append(relocate(final, str(staging / row["run_id"]), str(here)))
        if on_final:
            on_final(by_hash[row["spec_hash"]], finals[-1], seconds)

    try:
        fan_out(design_unit, [(spec, ROOT, options(spec)) for spec in specs], staging, ray_address=address,
                needs=lambda _: Needs(cpus=1.0, memory_mb=4096), progress=adopt)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return finals


def resume_plan(run_id: str, store: RunStore) -> str:
    """What ``resume`` will do for ``run_id``, in one line; StoreError (one line) when the run cannot resume."""
    rec = store.get(run_id)
    if rec is None:
        raise StoreError(f"unknown run {run_id!r} in {store.root}")
    run_dir = store.folder(run_id)
    if not run_dir.is_dir():
        raise StoreError(f"run {run_id}: its folder {run_dir} is gone; nothing to resume")
    ckpt = run_dir / "checkpoints.sqlite"
    if not ckpt.is_file() or ckpt.stat().st_size == 0:
        raise StoreError(f"run {run_id}: no checkpoint in {run_dir} (checkpoints.sqlite missing or empty); "
                         f"it cannot be resumed, start a new run")
    try:
        with closing(sqlite3.connect(f"{ckpt.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            snapshot = build_graph(SqliteSaver(conn)).get_state(_config(run_id))
    except (sqlite3.Error, ValueError, TypeError, KeyError) as err:
        raise StoreError(f"run {run_id}: its checkpoint {ckpt} cannot be read ({err}); start a new run") from None
    if not snapshot.values:
        raise StoreError(f"run {run_id}: its checkpoint holds no state; start a new run")
    nxt = list(snapshot.next or [])
    it = snapshot.values.get("iteration", 0)
    if not nxt:
        return f"run {run_id} already finished ({snapshot.values.get('status', 'failed')}); nothing to redo"
    return (f"resuming run {run_id} (was {rec.status}): finished nodes are kept; next: {', '.join(nxt)}"
            + (f" in iteration {it}" if it else ""))


def resume(run_id: str, *, store: RunStore | None = None, on_progress: ProgressFn | None = None) -> dict:
    """Continue a run from its last checkpoint (finished nodes are not redone)."""
    store = store or RunStore()
    resume_plan(run_id, store)  # refuses a run that cannot resume, in one line
    cfg = _saved_config(run_id, store)
    store.claim(run_id)
    return _stream(store, run_id, None, cfg, on_progress)


def _saved_config(run_id: str, store: RunStore) -> RunConfig:
    """The run's saved configuration; a run from before ``config.json`` existed kept it in its checkpoint state."""
    run_dir = store.folder(run_id)
    if (run_dir / CONFIG_FILE).exists():
        return RunConfig.load(run_dir)
    ckpt = run_dir / "checkpoints.sqlite"
    with closing(sqlite3.connect(f"{ckpt.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        saved = SqliteSaver(conn).get_tuple(_config(run_id))  # raw channels: the old keys left the state's schema
    values = dict(saved.checkpoint.get("channel_values") or {}) if saved else {}
    if "backend" not in values:
        return RunConfig.load(run_dir)  # neither: the missing file's one-line error
    cfg = RunConfig.from_old_state(values)
    cfg.save(run_dir)
    return cfg


def _config(run_id: str, cfg: RunConfig | None = None) -> dict:
    return {"configurable": {"thread_id": run_id, **({"run": cfg} if cfg is not None else {})},
            "recursion_limit": 200}


def _stream(store: RunStore, run_id: str, state: dict | None, cfg: RunConfig,
            on_progress: ProgressFn | None) -> dict:
    run_dir = store.folder(run_id)
    t0 = time.perf_counter()
    config = _config(run_id, cfg)
    try:
        conn = sqlite3.connect(Path(run_dir) / "checkpoints.sqlite", check_same_thread=False)
    except sqlite3.Error as err:
        raise StoreError(f"run {run_id}: cannot open its checkpoint ({err})") from None
    with closing(conn):
        graph = build_graph(SqliteSaver(conn))
        try:
            # "sync": each node's checkpoint is on disk before the next node starts, so a SIGKILL
            # mid-node never loses (and a resume never redoes) a finished node; the default is async
            for update in graph.stream(state, config, stream_mode="updates", durability="sync"):
                for node, delta in update.items():
                    if on_progress:
                        on_progress(node, delta or {})
        except BaseException as err:
            why = "interrupted by the user" if isinstance(err, KeyboardInterrupt) else f"{type(err).__name__}: {err}"
            try:  # the index may be what failed (a full disk): never hide the first error behind a second
                store.update(run_id, status="interrupted", stop_reason=why[:300],
                             seconds=round(time.perf_counter() - t0, 2))
            except StoreError:
                pass
            if isinstance(err, (sqlite3.Error, OSError)):
                raise StoreError(f"run {run_id} stopped: {why[:300]}; what it wrote is kept in {run_dir}; "
                                 f"`accelsmith resume {run_id}` continues it once the cause is fixed") from err
            raise
        final = dict(graph.get_state(config).values)
    cost = final.get("cost", {})
    bench = final.get("bench") or {}
    store.update(run_id, status=final.get("status", "failed"), stop_reason=final.get("stop_reason") or None,
                 iterations=final.get("iteration", 0), seconds=round(sum(
                     v for k, v in cost.items() if k.startswith("seconds.")), 2),
                 tokens_in=cost.get("tokens_in", 0), tokens_out=cost.get("tokens_out", 0),
                 bench=", ".join(f"{s}:{'pass' if r['passed'] else 'fail'}" for s, r in bench.items()) or None)
    write_json(run_dir / "cost.json", cost)
    return final
