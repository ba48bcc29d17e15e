"""GEMM utilisation cross-check: RTL simulated cycles vs SCALE-Sim v3 and vs the ideal MAC count.

SCALE-Sim needs numpy 1.26 / pandas<3 / numba<0.62, which the project's stack does not allow, so it
runs from its own venv (``ACCELSMITH_SCALESIM_PYTHON``, default ``.venv-scalesim/bin/python``) as a
subprocess. RTL cycles come from the bench: the steady-state cycles per job of one (rows x cols, k=K)
array, measured on the 'throughput' case, times the number of output tiles of the GEMM.
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


def scalesim_cycles(rows: int, cols: int, dataflow: str, shapes: dict[str, tuple[int, int, int]],
                    timeout_s: float = 600.0) -> dict[str, int]:
    """SCALE-Sim compute cycles (its 'Total Cycles', stall-free with large SRAMs) per named (M, N, K)."""
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


def rtl_job_cycles(rows: int, cols: int, k: int, dataflow: str, workdir: Path, sim: str = "verilator") -> float:
    """Steady-state cycles per (rows x k) x (k x cols) job of the RTL, from the bench's throughput case."""
    from accelsmith import hw_templates
    from accelsmith.hw_templates.gemm import GemmSpec
    from accelsmith.verification._derive import derive
    from accelsmith.verification._sim import run_bench

    spec = GemmSpec(rows=rows, cols=cols, k=k, dataflow=dataflow)
    bundle = hw_templates.get("gemm").render(spec)
    folder = Path(workdir) / f"gemm_{rows}x{cols}_k{k}_{dataflow}"
    res = run_bench(bundle.write(folder / "rtl"), bundle.top, derive(spec), folder / "bench", sim=sim,
                    cases=["throughput"], timeout_s=600)
    if not res.passed:
        raise RuntimeError(f"{spec.summary()}: throughput case failed: {res.summary()}")
    c = res.cases[0]
    # span = first beat accepted -> last result beat; the jobs' compute overlaps their drains in OS
    return c["span_cycles"] / c["jobs"]


def utilisation_table(rows: int, cols: int, dataflow: str, shapes: dict[str, tuple[int, int, int]],
                      workdir: Path, sim: str = "verilator") -> list[dict]:
    """Per shape: tiles, RTL cycles, SCALE-Sim cycles, ideal MAC cycles and both ratios."""
    sims = scalesim_cycles(rows, cols, dataflow, shapes)
    per_k: dict[int, float] = {}
    table = []
    for name, (m, n, k) in shapes.items():
        if k not in per_k:
            per_k[k] = rtl_job_cycles(rows, cols, k, dataflow, workdir, sim)
        tiles = math.ceil(m / rows) * math.ceil(n / cols)
        rtl = per_k[k] * tiles
        ideal = m * n * k / (rows * cols)
        table.append({"shape": name, "M": m, "N": n, "K": k, "tiles": tiles, "rtl_cycles_per_tile": per_k[k],
                      "rtl_cycles": round(rtl), "scalesim_cycles": sims[name],
                      "closed_form_cycles": closed_form_cycles(rows, cols, dataflow, m, n, k),
                      "ideal_cycles": round(ideal), "utilisation": round(ideal / rtl, 4),
                      "rtl_over_scalesim": round(rtl / (sims[name] + 1), 4)})
    return table


def transformer_shapes(hidden: int = 384, mlp: int = 1536, seq: int = 128, head_dim: int = 64) -> dict:
    """GEMMs of one encoder layer as (M, N, K): projections, attention scores/context, MLP."""
    return {"qkv_proj": (seq, 3 * hidden, hidden), "attn_scores": (seq, seq, head_dim),
            "attn_context": (seq, head_dim, seq), "out_proj": (seq, hidden, hidden),
            "mlp_up": (seq, mlp, hidden), "mlp_down": (seq, hidden, mlp)}


if __name__ == "__main__":  # pragma: no cover - quick manual check
    print(json.dumps(scalesim_cycles(8, 8, "output_stationary", {"t": (16, 16, 32)})))
