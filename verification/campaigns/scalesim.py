"""GEMM utilisation cross-check: RTL simulated cycles vs SCALE-Sim v3 and vs the ideal MAC count.

SCALE-Sim needs numpy 1.26 / pandas<3 / numba<0.62, which the project's stack does not allow, so it
runs from its own venv (``ACCELSMITH_SCALESIM_PYTHON``, default ``.venv-scalesim/bin/python``) as a
subprocess. RTL cycles come from the bench: fill + (output tiles) x (measured steady-state cycles per
rows x cols job of reduction length K, streamed back to back), see ``rtl_streaming_cycles``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
from pathlib import Path

from accelsmith.errors import ToolMissing

_CFG = """\
[general]
run_name = accelsmith
[architecture_presets]
ArrayHeight = {rows}
ArrayWidth = {cols}
IfmapSramSzkB = 6144
FilterSramSzkB = 6144
OfmapSramSzkB = 2048
IfmapOffset = 0
FilterOffset = 10000000
OfmapOffset = 20000000
Dataflow = {df}
ReadRequestBuffer = 32
WriteRequestBuffer = 32
[layout]
IfmapCustomLayout = False
FilterCustomLayout = False
IfmapSRAMBankBandwidth = 10
IfmapSRAMBankNum = 10
IfmapSRAMBankPort = 2
FilterSRAMBankBandwidth = 10
FilterSRAMBankNum = 10
FilterSRAMBankPort = 2
[run_presets]
InterfaceBandwidth = CALC
UseRamulatorTrace = False
[sparsity]
SparsitySupport = false
SparseRep = ellpack_block
OptimizedMapping = false
BlockSize = 8
RandomNumberGeneratorSeed = 40
"""
_RUN = """\
import sys
from scalesim.scale_sim import scalesim
s = scalesim(save_disk_space=True, verbose=False, config=sys.argv[1], topology=sys.argv[2], layout=sys.argv[3],
             input_type_gemm=True)
s.run_scale(top_path=sys.argv[4])
"""
_DF = {"output_stationary": "os", "weight_stationary": "ws"}


def scalesim_python() -> Path:
    p = Path(os.environ.get("ACCELSMITH_SCALESIM_PYTHON", Path.cwd() / ".venv-scalesim" / "bin" / "python"))
    if not p.exists():
        raise ToolMissing(f"SCALE-Sim python {p} not found; python -m venv .venv-scalesim && .venv-scalesim/bin/pip "
                          "install numpy==1.26.4 'pandas<3' 'numba<0.62' scalesim==3.0.0")
    return p


def _cache_dir() -> Path | None:
    v = os.environ.get("ACCELSMITH_SCALESIM_CACHE", str(Path.home() / ".cache" / "accelsmith" / "scalesim"))
    return Path(v) if v else None


def scalesim_cycles(rows: int, cols: int, dataflow: str, shapes: dict[str, tuple[int, int, int]],
                    timeout_s: float = 1800.0) -> dict[str, int]:
    """SCALE-Sim compute cycles (its 'Total Cycles', stall-free with large SRAMs) per named (M, N, K).

    SCALE-Sim writes a cycle-by-cycle trace, so a transformer layer takes minutes; results are cached per
    (config, shapes) in ``ACCELSMITH_SCALESIM_CACHE`` (default ~/.cache/accelsmith/scalesim; empty: off).
    """
    import hashlib

    key = hashlib.sha256(json.dumps([_CFG.format(rows=rows, cols=cols, df=_DF[dataflow]), sorted(shapes.items())])
                         .encode()).hexdigest()[:20]
    cache = _cache_dir()
    if cache and (cache / f"{key}.json").exists():
        return json.loads((cache / f"{key}.json").read_text())
    got = _run_scalesim(rows, cols, dataflow, shapes, timeout_s)
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
        (cache / f"{key}.json").write_text(json.dumps(got))
    return got


def _run_scalesim(rows: int, cols: int, dataflow: str, shapes: dict[str, tuple[int, int, int]],
                  timeout_s: float) -> dict[str, int]:
    with tempfile.TemporaryDirectory(prefix="scalesim_") as tmp:
        d = Path(tmp)
        (d / "scale.cfg").write_text(_CFG.format(rows=rows, cols=cols, df=_DF[dataflow]))
        # the CSV parser drops the last field of each row: the trailing comma is required
        (d / "topo.csv").write_text("Layer, M, N, K,\n" + "".join(f"{n}, {m}, {nn}, {k},\n" for n, (m, nn, k) in shapes.items()))
        (d / "layout.csv").write_text("Layer, M, N, K,\n" + "".join(f"{n}, 1, 1, 1,\n" for n in shapes))
        (d / "run.py").write_text(_RUN)
        out = subprocess.run([str(scalesim_python()), "run.py", "scale.cfg", "topo.csv", "layout.csv", "out"],
                             cwd=d, capture_output=True, text=True, timeout=timeout_s)
        reports = list((d / "out").rglob("COMPUTE_REPORT.csv"))
        if out.returncode != 0 or not reports:
            raise RuntimeError(f"SCALE-Sim failed: {(out.stderr or out.stdout).strip().splitlines()[-1:]}")
        text = reports[0].read_text()
        if os.environ.get("ACCELSMITH_SCALESIM_DEBUG"):
            print(text)
        header = [h.strip() for h in text.splitlines()[0].split(",")]
        col = header.index("Total Cycles")  # v3 also reports 'Total Cycles (incl. prefetch)': not compute
        lines = [ln.split(",") for ln in text.strip().splitlines()[1:]]
    return {name: int(float(row[col])) for name, row in zip(shapes, lines)}


def closed_form_cycles(rows: int, cols: int, dataflow: str, m: int, n: int, k: int) -> int:
    """SCALE-Sim's stall-free cycles in closed form (reproduces its report, which is one short of a count)."""
    if dataflow == "output_stationary":
        return math.ceil(m / rows) * math.ceil(n / cols) * (k + rows + cols - 2) - 1
    return math.ceil(k / rows) * math.ceil(n / cols) * (2 * rows + cols + m - 2) - 1


def rtl_streaming_cycles(rows: int, cols: int, k: int, dataflow: str, workdir: Path, sim: str = "verilator",
                         jobs: tuple[int, int] = (1, 3), m: int | None = None) -> dict:
    """Measured streaming cost of (M x k) x (k x cols) jobs on the RTL: fill and per-job interval (M = rows, or
    ``m`` rows of A per job on the weight-stationary array).

    Two bubble-free, stall-free cases of ``jobs[0]`` and ``jobs[1]`` back-to-back random jobs run in one
    build; span = first accepted input beat -> last result beat. Per-job interval =
    (span1 - span0) / (jobs1 - jobs0) (the steady state, overlaps included); fill = span0 - jobs0 *
    interval (pipeline fill/drain paid once). T jobs streamed cost fill + T * interval cycles.
    """
    import torch

    from accelsmith import hw_templates
    from accelsmith.kinds.gemm import GemmSpec
    from accelsmith.verification._derive import derive
    from accelsmith.verification._sim import run_bench
    from accelsmith.verification.plans.gemm import _case, _operand_range

    spec = GemmSpec(rows=rows, cols=cols, k=k, dataflow=dataflow, m=m)
    bundle = hw_templates.get("gemm").render(spec)
    lo, hi = _operand_range(spec)
    g = torch.Generator().manual_seed(spec.seed)
    cases = [_case(spec, f"stream_{n}_jobs", torch.randint(lo, hi + 1, (n, spec.job_rows, k), generator=g),
                   torch.randint(lo, hi + 1, (n, k, cols), generator=g), bubbles=0.0, stalls=0.0, tags=["perf"], g=g)
             for n in jobs]
    # the plan's ports and protocol come from a one-beat spec of the same interface (deriving this spec's own
    # cases would build every one of them at full size, only to replace them)
    plan = derive(spec.model_copy(update={"k": 1, "m": None})).model_copy(update={"cases": cases})
    folder = Path(workdir) / f"gemm_{rows}x{cols}_k{k}{'' if m is None else f'_m{m}'}_{dataflow}"
    res = run_bench(bundle.write(folder / "rtl"), bundle.top, plan, folder / "bench", sim=sim, timeout_s=600)
    if not res.passed:
        raise RuntimeError(f"{spec.summary()}: streaming cases failed: {res.summary()}")
    span = {c["jobs"]: c["span_cycles"] for c in res.cases}
    j0, j1 = jobs
    interval = (span[j1] - span[j0]) / (j1 - j0)
    return {"k": k, "m": spec.job_rows, "interval": interval, "fill": span[j0] - j0 * interval, "spans": span, "sim": sim,
            "latency": [c["job_latency_cycles"] for c in res.cases]}


def _job_key(dataflow: str, m: int, k: int) -> tuple[int, int | None]:
    """The array's job for a GEMM with M rows: output-stationary rows x cols tiles (M unused); weight-stationary
    all M rows through each weight fold (the spec's ``m``)."""
    return (k, m if dataflow == "weight_stationary" else None)


def rtl_jobs(rows: int, cols: int, dataflow: str, m: int, n: int) -> int:
    """Jobs of the RTL for an (M, N, K) GEMM: ceil(M/rows) x ceil(N/cols) output tiles (output-stationary), or
    ceil(N/cols) column tiles each streaming all M rows per weight fold (weight-stationary)."""
    if dataflow == "weight_stationary":
        return math.ceil(n / cols)
    return math.ceil(m / rows) * math.ceil(n / cols)


def utilisation_table(rows: int, cols: int, dataflow: str, shapes: dict[str, tuple[int, int, int]],
                      workdir: Path, sim: str = "verilator", scalesim=None) -> list[dict]:
    """Per shape (M, N, K): the GEMM cut into the array's jobs (``rtl_jobs``) of reduction length K, streamed back
    to back: RTL cycles = fill + jobs x interval (measured), SCALE-Sim 'Total
    Cycles', ideal = M*N*K / (rows*cols); ratios RTL/SCALE-Sim and utilisation = ideal / RTL."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:  # SCALE-Sim (a subprocess) runs while the RTL simulates
        # ``scalesim``: a Future or dict of SCALE-Sim cycles already being computed by the caller
        pending = scalesim if scalesim is not None else pool.submit(scalesim_cycles, rows, cols, dataflow, shapes)
        per_k: dict[tuple, dict] = {}
        for m, _, k in shapes.values():
            if _job_key(dataflow, m, k) not in per_k:
                per_k[_job_key(dataflow, m, k)] = rtl_streaming_cycles(rows, cols, k, dataflow, workdir, sim,
                                                                      m=_job_key(dataflow, m, k)[1])
        sims = pending if isinstance(pending, dict) else pending.result()
    table = []
    for name, (m, n, k) in shapes.items():
        meas = per_k[_job_key(dataflow, m, k)]
        tiles = rtl_jobs(rows, cols, dataflow, m, n)
        rtl = meas["fill"] + tiles * meas["interval"]
        ideal = m * n * k / (rows * cols)
        table.append({"shape": name, "M": m, "N": n, "K": k, "dataflow": dataflow, "tiles": tiles,
                      "rtl_interval": meas["interval"], "rtl_fill": meas["fill"],
                      "rtl_cycles": round(rtl), "scalesim_cycles": sims[name],
                      "closed_form_cycles": closed_form_cycles(rows, cols, dataflow, m, n, k),
                      "ideal_cycles": round(ideal), "utilisation": round(ideal / rtl, 4),
                      "rtl_over_scalesim": round(rtl / sims[name], 4)})
    return table


def transformer_shapes(hidden: int = 384, mlp: int = 1536, seq: int = 128, head_dim: int = 64) -> dict:
    """GEMMs of one encoder layer as (M, N, K): projections, attention scores/context, MLP."""
    return {"qkv_proj": (seq, 3 * hidden, hidden), "attn_scores": (seq, seq, head_dim),
            "attn_context": (seq, head_dim, seq), "out_proj": (seq, hidden, hidden),
            "mlp_up": (seq, mlp, hidden), "mlp_down": (seq, hidden, mlp)}


if __name__ == "__main__":  # pragma: no cover - quick manual check
    print(json.dumps(scalesim_cycles(8, 8, "output_stationary", {"t": (16, 16, 32)})))
