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
    # the accumulator banks (at least two) of 16 bits in each of the 4 PEs are flip-flops, whatever else yosys keeps
    assert synth["flip_flops"] >= 2 * 4 * 16
    assert synth["cells"] > synth["flip_flops"] and synth["logic_depth"] > 0
    assert figures["perf"]["span_cycles"] > 0
    # placed and routed on the default ECP5: one 18x18 multiplier per PE, the accumulators in fabric flip-flops
    fpga = figures["fpga"]
    assert fpga["ok"] and fpga["device"] == "ecp5-85k", fpga
    assert fpga["dsps"] == 4 and fpga["ffs"] >= 2 * 4 * 16 and fpga["luts"] > 0 and fpga["fmax_mhz"] > 10
    report = (run_dir / "report.md").read_text()
    assert f"- cells: {synth['cells']}" in report
    assert f"{fpga['dsps']} DSP" in report and f"fmax {fpga['fmax_mhz']} MHz" in report
    assert store.get(final["run_id"]).status == "verified"


def test_fpga_none_keeps_the_yosys_figures_only(store):
    final = design(GemmSpec(rows=2, cols=2, k=2, acc_bits=16), store=store, sim="icarus", cross_check=[],
                   estimate=True, fpga=None)
    figures = json.loads((Path(final["run_dir"]) / "ppa.json").read_text())
    assert figures["synth"]["ok"] and "fpga" not in figures


def test_an_unknown_fpga_is_refused_before_the_run_exists(store):
    from accelsmith.errors import ConfigError

    with pytest.raises(ConfigError, match="^run configuration: unknown FPGA device 'xc7a35t'; known: ecp5-25k"):
        design(GemmSpec(rows=2, cols=2, k=2), store=store, sim="icarus", cross_check=[], estimate=True,
               fpga="xc7a35t")
    assert store.list() == []


def test_estimate_is_skipped_unless_asked(store):
    final = design(GemmSpec(rows=2, cols=2, k=2), store=store, sim="icarus", cross_check=[])
    assert final["status"] == "verified"
    assert not (Path(final["run_dir"]) / "ppa.json").exists()
