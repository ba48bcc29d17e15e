"""The estimate node: a verified design is synthesised and its figures land in ppa.json and report.md."""

import json
from pathlib import Path

import pytest

from accelsmith.agents import design
from accelsmith.kinds.gemm import GemmSpec

pytestmark = pytest.mark.sim


def test_verified_design_gets_synthesis_figures(store):
    spec = GemmSpec(rows=2, cols=2, k=2, acc_bits=16)
    final = design(spec, store=store, sim="icarus", cross_check=[], estimate=True)
    assert final["status"] == "verified"
    run_dir = Path(final["run_dir"])
    figures = json.loads((run_dir / "ppa.json").read_text())
    synth = figures["synth"]
    assert synth["ok"], synth
    # two accumulator banks of 16 bits in each of the 4 PEs are flip-flops, whatever else yosys keeps
    assert synth["flip_flops"] >= 2 * 4 * 16
    assert synth["cells"] > synth["flip_flops"] and synth["logic_depth"] > 0
    assert figures["perf"]["span_cycles"] > 0
    report = (run_dir / "report.md").read_text()
    assert f"- cells: {synth['cells']}" in report
    assert store.get(final["run_id"]).status == "verified"


def test_estimate_is_skipped_unless_asked(store):
    final = design(GemmSpec(rows=2, cols=2, k=2), store=store, sim="icarus", cross_check=[])
    assert final["status"] == "verified"
    assert not (Path(final["run_dir"]) / "ppa.json").exists()
