"""Dataflow and tiling search for a profile's GEMMs under an on-chip SRAM budget and a DRAM bandwidth budget.

The engine is ZigZag (``zigzag-dse``, KU Leuven's analytical DSE framework): for each GEMM (attention's QK^T and
AV included, as the profile lists them) and each dataflow, ZigZag's LOMA search picks the temporal loop order and
the tiles held at every memory level, and its cost model gives cycles with memory stalls, memory traffic per level
and energy. What is built here is the accelerator ZigZag sees, one per (array, budget):

    per PE:   a weight register (w_bits) and an accumulator (acc_bits = 32)
    on chip:  one SRAM of ``sram_bytes`` shared by A, B and C (ZigZag chooses how much of each it keeps: the split)
    off chip: DRAM behind one port of ``dram_bytes_per_cycle``

and the dataflow is the spatial unrolling: output-stationary puts M on the rows and N on the columns (K runs in
time), weight-stationary puts K on the rows and N on the columns (M runs in time). Operands are at the width the
array takes (``array_operands``: 4 or 8 bits, wider ones mapped to 8 as ``derive_constraints`` does).

Attention's Q·Kᵀ and P·V do not go to the array when the attention block takes their shape: they run as
FlashAttention-style passes of Br query rows over K/V on that block (``fused_attention``, dataflow
``fused_attention``), which reads K and V once per pass and never writes the scores; its cycles and stalls come from
``AttentionSpec`` under the DRAM budget. Compute cycles of array GEMMs are ``stall_free_cycles`` (what the array
templates take, checked against the simulated RTL); stalls are ZigZag's latency beyond them.

Energy uses stated per-access costs (45 nm, Horowitz, ISSCC 2014, as tabulated by Han et al., EIE 2016):
8-bit multiply 0.2 pJ + 32-bit add 0.1 pJ per MAC; 32-bit SRAM access 5 pJ; 32-bit DRAM access 640 pJ; register
accesses 0.03 pJ per byte. They rank choices; they are not a silicon figure.

Results are cached per (GEMM, hardware, dataflow) in ``ACCELSMITH_DATAFLOW_CACHE`` (default
``~/.cache/accelsmith/dataflow``; empty: off): one ZigZag evaluation takes seconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from accelsmith.model_opt._errors import ModelOptError
from accelsmith.model_opt._profile import GemmOp, WorkloadProfile

DATAFLOWS = ("output_stationary", "weight_stationary")
FUSED_ATTENTION = "fused_attention"  # the dataflow label of attention GEMMs run by the attention block
ACC_BITS = 32
ZIGZAG_PIN = "zigzag-dse==3.9.1 six==1.17.0"
# pJ per access (see the module docstring)
MAC_PJ = 0.3
SRAM_PJ_PER_32B = 5.0
DRAM_PJ_PER_32B = 640.0
REG_PJ_PER_BYTE = 0.03


class Budget(BaseModel):
    """What the accelerator may use: an R x C array, on-chip SRAM (bytes), DRAM bandwidth (bytes per cycle)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int = Field(ge=1, le=256)
    cols: int = Field(ge=1, le=256)
    sram_bytes: int = Field(ge=256)
    dram_bytes_per_cycle: int = Field(ge=1, le=4096)

    def label(self) -> str:
        return (f"{self.rows}x{self.cols} array, {_kb(self.sram_bytes)} SRAM, "
                f"{self.dram_bytes_per_cycle} B/cycle DRAM")


class OpChoice(BaseModel):
    """ZigZag's best mapping of one GEMM (all ``count`` repeats) on one dataflow."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    m: int
    n: int
    k: int
    count: int
    dataflow: str
    compute_cycles: int            # stall-free: every PE busy, padding to the array included
    cycles: int                    # ZigZag's latency: compute, memory stalls, on/off-loading
    stall_cycles: int
    dram_bytes: int                # read + written at the DRAM port
    energy_pj: float
    utilisation: float             # M*N*K*count / (R*C*cycles)
    loop_order: str                # temporal loops, innermost first, per operand and memory level
    sram_split_bytes: dict[str, int]  # what the SRAM holds of A (I), B (W) and C (O) at once

    @property
    def stall_share(self) -> float:
        return self.stall_cycles / self.compute_cycles if self.compute_cycles else 0.0


class ProfileChoice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    budget: Budget
    ops: list[OpChoice]
    alternatives: dict[str, dict[str, int]]  # op name -> dataflow -> cycles (every dataflow tried)

    def total(self, figure: str) -> float:
        """``compute_cycles``, ``cycles``, ``stall_cycles``, ``dram_bytes`` or ``energy_pj`` over every op."""
        return sum(getattr(o, figure) for o in self.ops)

    def summary(self) -> dict:
        compute, stall = self.total("compute_cycles"), self.total("stall_cycles")
        return {"model": self.model, "budget": self.budget.label(), "ops": len(self.ops),
                "compute_cycles": compute, "cycles": self.total("cycles"), "stall_cycles": stall,
                "stall_share": round(stall / max(1, compute), 4),
                "dram_mb": round(self.total("dram_bytes") / 1e6, 2),
                "energy_mj": round(self.total("energy_pj") / 1e9, 3),
                "dataflows": {df: sum(o.dataflow == df for o in self.ops) for df in (*DATAFLOWS, FUSED_ATTENTION)}}


def _kb(n: int) -> str:
    return f"{n // 1024} KB" if n % 1024 == 0 else f"{n} B"


def _port(name: str, kind: str, bits: int, allocation: list[str]) -> dict:
    return {"name": name, "type": kind, "bandwidth_min": bits, "bandwidth_max": bits, "allocation": allocation}


def hardware(budget: Budget, a_bits: int, w_bits: int) -> dict:
    """The ZigZag accelerator description for ``budget`` (see the module docstring)."""
    r, c = budget.rows, budget.cols
    sram_word = max(r * a_bits, c * w_bits, c * ACC_BITS)  # the widest bank's word (energy per access)
    dram_bits = budget.dram_bytes_per_cycle * 8
    both = ["D1", "D2"]
    return {"name": f"accelsmith_{r}x{c}", "memories": {
        "reg_w": {"size": 2 * w_bits, "r_cost": REG_PJ_PER_BYTE * w_bits / 8, "w_cost": REG_PJ_PER_BYTE * w_bits / 8,
                  "area": 0, "latency": 1, "operands": ["I2"], "served_dimensions": [],
                  "ports": [_port("r_port_1", "read", w_bits, ["I2, tl"]),
                            _port("w_port_1", "write", w_bits, ["I2, fh"])]},
        "reg_acc": {"size": 2 * ACC_BITS, "r_cost": REG_PJ_PER_BYTE * 4, "w_cost": REG_PJ_PER_BYTE * 4, "area": 0,
                    "latency": 1, "operands": ["O"], "served_dimensions": [],
                    "ports": [_port("r_port_1", "read", ACC_BITS, ["O, tl"]),
                              _port("r_port_2", "read", ACC_BITS, ["O, th"]),
                              _port("w_port_1", "write", ACC_BITS, ["O, fh"]),
                              _port("w_port_2", "write", ACC_BITS, ["O, fl"])]},
        "sram": {"size": budget.sram_bytes * 8, "r_cost": SRAM_PJ_PER_32B * sram_word / 32,
                 "w_cost": SRAM_PJ_PER_32B * sram_word / 32, "area": 0, "latency": 1,
                 "operands": ["I1", "I2", "O"], "served_dimensions": both,
                 # one bank per operand (A, B, C): each reads and writes its edge of the array every cycle
                 "ports": [_port("r_port_1", "read", r * a_bits, ["I1, tl"]),
                           _port("r_port_2", "read", c * w_bits, ["I2, tl"]),
                           _port("r_port_3", "read", c * ACC_BITS, ["O, tl", "O, th"]),
                           _port("w_port_1", "write", r * a_bits, ["I1, fh"]),
                           _port("w_port_2", "write", c * w_bits, ["I2, fh"]),
                           _port("w_port_3", "write", c * ACC_BITS, ["O, fh", "O, fl"])]},
        "dram": {"size": 10 ** 12, "r_cost": DRAM_PJ_PER_32B * dram_bits / 32,
                 "w_cost": DRAM_PJ_PER_32B * dram_bits / 32, "area": 0, "latency": 1,
                 "operands": ["I1", "I2", "O"], "served_dimensions": both,
                 "ports": [_port("rw_port_1", "read_write", dram_bits,
                                 ["I1, fh", "I1, tl", "I2, fh", "I2, tl", "O, fh", "O, tl", "O, fl", "O, th"])]}},
        # systolic: the last results leave the array one PE per cycle after they are computed
        "operational_array": {"unit_energy": MAC_PJ, "unit_area": 1, "dimensions": both, "sizes": [r, c],
                              "systolic_dimensions": both}}


def mapping(budget: Budget, dataflow: str) -> list[dict]:
    spatial = {"output_stationary": {"D1": [f"B, {budget.rows}"], "D2": [f"K, {budget.cols}"]},
               "weight_stationary": {"D1": [f"C, {budget.rows}"], "D2": [f"K, {budget.cols}"]}}[dataflow]
    links = {"O": "O", "W": "I2", "I": "I1"}
    return [{"name": n, "spatial_mapping": spatial, "memory_operand_links": links} for n in ("default", "Gemm")]


def workload(g: GemmOp) -> list[dict]:
    """One of ``g``'s ``count`` GEMMs as ZigZag's layer: O[b][k] += I[b][c] * W[c][k] with B = M, C = K, K = N.
    The repeats (attention heads, layers of one shape) share no operand, so their cost is ``count`` times this."""
    return [{"id": 0, "name": g.name, "operator_type": "Gemm", "equation": "O[b][k]+=I[b][c]*W[c][k]",
             "loop_dims": ["B", "C", "K"], "loop_sizes": [g.m, g.k, g.n],
             "operand_precision": {"I": g.a_bits, "W": g.w_bits, "O": ACC_BITS, "O_final": ACC_BITS},
             "operand_source": {"I": 0}}]


def _cache_dir() -> Path | None:
    v = os.environ.get("ACCELSMITH_DATAFLOW_CACHE", str(Path.home() / ".cache" / "accelsmith" / "dataflow"))
    return Path(v) if v else None


def _zigzag():
    try:
        from zigzag.api import get_hardware_performance_zigzag
    except ImportError as err:
        raise ModelOptError(f"the dataflow search needs ZigZag ({err}); pip install {ZIGZAG_PIN}") from None
    return get_hardware_performance_zigzag


def evaluate(g: GemmOp, budget: Budget, dataflow: str) -> OpChoice:
    """ZigZag's best (lowest-latency) temporal mapping of ``g`` on ``budget`` with ``dataflow``."""
    import yaml

    if dataflow not in DATAFLOWS:
        raise ModelOptError(f"unknown dataflow {dataflow!r}; known: {', '.join(DATAFLOWS)}")
    hw, mp, wl = hardware(budget, g.a_bits, g.w_bits), mapping(budget, dataflow), workload(g)
    key = hashlib.sha256(json.dumps([hw, mp, wl[0] | {"name": ""}, 3], sort_keys=True).encode()).hexdigest()[:24]
    cache = _cache_dir()
    hit = cache / f"{key}.json" if cache else None
    if hit and hit.is_file():
        return _repeat(OpChoice.model_validate(json.loads(hit.read_text())), g)
    run = _zigzag()
    with tempfile.TemporaryDirectory(prefix="zigzag_") as tmp:
        d = Path(tmp)
        for name, data in (("hw.yaml", hw), ("map.yaml", mp), ("wl.yaml", wl)):
            (d / name).write_text(yaml.safe_dump(data, sort_keys=False))
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)  # ZigZag logs every stage at INFO on the root logger
        try:
            _, _, cmes = run(str(d / "wl.yaml"), str(d / "hw.yaml"), str(d / "map.yaml"), opt="latency",
                             dump_folder=str(d / "out"), loma_show_progress_bar=False)
        finally:
            logging.disable(previous)
    one = _choice(g.model_copy(update={"count": 1}), budget, dataflow, _first_cme(cmes))
    if hit:
        hit.parent.mkdir(parents=True, exist_ok=True)
        hit.write_text(one.model_dump_json())
    return _repeat(one, g)


def _repeat(one: OpChoice, g: GemmOp) -> OpChoice:
    """One instance's figures for all ``g.count`` instances (they run one after another)."""
    n = g.count
    return one.model_copy(update={"name": g.name, "count": n, "compute_cycles": one.compute_cycles * n,
                                  "cycles": one.cycles * n, "stall_cycles": one.stall_cycles * n,
                                  "dram_bytes": one.dram_bytes * n, "energy_pj": round(one.energy_pj * n, 1)})


def _first_cme(cmes):
    """The layer's cost-model evaluation inside ZigZag's result: [(cumulative, [(layer cme, extra), ...])]."""
    cme, extra = cmes[0]
    while not hasattr(cme, "mapping"):
        cme, extra = extra[0]
    return cme


def stall_free_cycles(m: int, n: int, k: int, rows: int, cols: int, dataflow: str) -> int:
    """Cycles of one (M, N, K) GEMM as the array templates stream it with no memory stalls, first operand beat to
    last result: output-stationary ceil(M/R) x ceil(N/C) tiles every max(K, R) cycles plus the fill 2R + C - 2
    (GemmSpec: latency K + 2R + C - 2); weight-stationary ceil(N/C) column tiles of ceil(K/R) weight folds of
    L = max(M, R, C - 1) cycles (every row of A through each fold, the next fold's weights loading meanwhile)
    plus the fill M + R + C + 1 - L. bench/gemm_rate.py compares it with the simulated RTL."""
    if dataflow == "output_stationary":
        return math.ceil(m / rows) * math.ceil(n / cols) * max(k, rows) + 2 * rows + cols - 2
    fold = max(m, rows, cols - 1)
    return math.ceil(k / rows) * math.ceil(n / cols) * fold + m + rows + cols + 1 - fold


def _choice(g: GemmOp, budget: Budget, dataflow: str, cme) -> OpChoice:
    r, c = budget.rows, budget.cols
    compute = stall_free_cycles(g.m, g.n, g.k, r, c, dataflow)
    cycles = int(round(cme.latency_total2))
    dram_bits = budget.dram_bytes_per_cycle * 8
    dram_words = 0
    for moves in cme.memory_word_access.values():
        dram_words += sum(int(v) for v in moves[-1].data.values())  # the DRAM level of this operand
    split = {}
    for operand, bits in cme.mapping.data_bit_per_level.items():
        split[str(operand)] = int(bits[-2]) // 8  # the level below DRAM: the SRAM
    tm = cme.temporal_mapping.mapping_dic_stationary
    order = "; ".join(f"{op}: " + " | ".join(" ".join(f"{d}{s}" for d, s in level) or "-" for level in levels)
                      for op, levels in tm.items())
    macs = g.m * g.n * g.k
    return OpChoice(name=g.name, m=g.m, n=g.n, k=g.k, count=1, dataflow=dataflow, compute_cycles=compute,
                    cycles=cycles, stall_cycles=max(0, cycles - compute), dram_bytes=dram_words * dram_bits // 8,
                    energy_pj=round(float(cme.energy_total), 1), utilisation=round(macs / (r * c * cycles), 4),
                    loop_order=order, sram_split_bytes=split)


def fused_attention(g: GemmOp, budget: Budget) -> OpChoice | None:
    """An attention GEMM as the memory-efficient attention block (``hw_templates/attention``) runs it, or None when
    no attention spec takes its shape. Q·Kᵀ (m queries x n keys, k = head_dim) carries the block's whole cost: K and
    V stream once per pass of Br query rows at the DRAM budget (Br and kv_block as ``derive_constraints`` chooses
    them, ``kinds.attention.attention_block``), q is read and y written once, the scores never leave the chip. P·V is
    computed inside the same pass and adds nothing. Cycles from ``AttentionSpec.query_cycles`` with and without the
    bandwidth budget (the difference is the stall); utilisation here is compute / cycles of the block."""
    from accelsmith.kinds.attention import AttentionSpec, attention_block

    if g.op == "attention_av":
        return OpChoice(name=g.name, m=g.m, n=g.n, k=g.k, count=g.count, dataflow=FUSED_ATTENTION, compute_cycles=0,
                        cycles=0, stall_cycles=0, dram_bytes=0, energy_pj=0.0, utilisation=0.0,
                        loop_order="inside the attention block's passes (counted with Q·Kᵀ)", sram_split_bytes={})
    d, keys, queries = g.k, g.n, g.m
    try:
        fields = attention_block(d, keys, budget.dram_bytes_per_cycle)
        spec = AttentionSpec(**fields)
        free = AttentionSpec(**{**fields, "max_kv_bytes_per_cycle": None})
    except ValueError:
        return None
    compute, cycles = free.query_cycles(queries), spec.query_cycles(queries)
    kv = -(-queries // spec.query_rows) * spec.kv_bytes_per_pass
    dram = kv + 2 * queries * d
    energy = 2 * queries * keys * d * MAC_PJ + dram / 4 * DRAM_PJ_PER_32B + kv / 4 * SRAM_PJ_PER_32B
    one = OpChoice(name=g.name, m=g.m, n=g.n, k=g.k, count=1, dataflow=FUSED_ATTENTION, compute_cycles=compute,
                   cycles=cycles, stall_cycles=cycles - compute, dram_bytes=dram, energy_pj=round(energy, 1),
                   utilisation=round(compute / cycles, 4),
                   loop_order=f"{spec.query_rows} query rows per pass over {keys} keys, kv_block {spec.kv_block}",
                   sram_split_bytes={"KV": spec.buffer_bytes})
    return _repeat(one, g)


def search_op(g: GemmOp, budget: Budget, dataflows: Sequence[str] = DATAFLOWS) -> tuple[OpChoice, dict[str, int]]:
    """The fastest dataflow for ``g`` (ties: less energy), and every dataflow's cycles; an attention GEMM goes to
    the attention block (``fused_attention``) when its shape fits one."""
    if g.op in ("attention_qk", "attention_av"):
        fused = fused_attention(g, budget)
        if fused is not None:
            return fused, {FUSED_ATTENTION: fused.cycles}
    tried = [evaluate(g, budget, df) for df in dataflows]
    best = min(tried, key=lambda o: (o.cycles, o.energy_pj))
    return best, {o.dataflow: o.cycles for o in tried}


def _shape(g: GemmOp) -> tuple:
    return (g.op, g.m, g.n, g.k, g.count, g.a_bits, g.w_bits)


def array_operands(g: GemmOp, unquantised_bits: int = 8) -> GemmOp:
    """``g`` at the operand width the GEMM array takes (both operands one width, 4 or 8; wider, e.g. floating-point
    activations, map to ``unquantised_bits``), as ``derive_constraints`` sizes the array."""
    bits = max(g.a_bits, g.w_bits)
    bits = unquantised_bits if bits > 8 else bits
    bits = 4 if bits <= 4 else 8
    return g.model_copy(update={"a_bits": bits, "w_bits": bits})


def search_profile(profile: WorkloadProfile, budget: Budget, dataflows: Sequence[str] = DATAFLOWS,
                   progress: Callable[[int, int, str], None] | None = None,
                   ray_address: str | None = None, unquantised_bits: int = 8) -> ProfileChoice:
    """Every GEMM of ``profile`` (identical shapes evaluated once) under ``budget``, at the array's operand width
    (``array_operands``), attention GEMMs on the attention block (``search_op``); with ``ray_address`` each shape's
    search is a Ray task (``accelsmith.fanout``), searched up front."""
    profile = profile.model_copy(update={"gemms": [array_operands(g, unquantised_bits) for g in profile.gemms]})
    shapes: dict[tuple, tuple[OpChoice, dict[str, int]]] = {}
    if ray_address:
        from accelsmith.fanout import fan_out

        first: dict[tuple, GemmOp] = {}
        for g in profile.gemms:
            first.setdefault(_shape(g), g)
        finished = 0

        def tick(result: tuple[OpChoice, dict[str, int]]) -> None:
            nonlocal finished
            finished += 1
            if progress:
                progress(finished, len(first), result[0].name)

        found = fan_out(search_op, [(g, budget, tuple(dataflows)) for g in first.values()], None,
                        ray_address=ray_address, progress=tick)
        shapes = dict(zip(first, found))
    ops, alternatives = [], {}
    for i, g in enumerate(profile.gemms, start=1):
        shape = _shape(g)
        if shape not in shapes:
            if progress:
                progress(i, len(profile.gemms), g.name)
            shapes[shape] = search_op(g, budget, dataflows)
        best, tried = shapes[shape]
        ops.append(best.model_copy(update={"name": g.name}))
        alternatives[g.name] = tried
    return ProfileChoice(model=profile.model, budget=budget, ops=ops, alternatives=alternatives)
