"""ECP5 place and route (yosys synth_ecp5 + nextpnr-ecp5): real figures for a template and a design that does not
fit, the scan before any tool, and `accelsmith ppa --fpga`."""

import json

import pytest
from typer.testing import CliRunner

from accelsmith.cli import app
from accelsmith.errors import AccelsmithError, UsageError
from accelsmith.hw_templates import get
from accelsmith.kinds.add import AddSpec
from accelsmith.rtl import RtlBundle
from accelsmith.verification._fpga import parse_report, place_and_route, summary

pytestmark = pytest.mark.sim


def _multipliers(n: int) -> RtlBundle:
    """``n`` registered 12x12 products: one MULT18X18D each on an ECP5."""
    src = f"""module muls (input wire clk, input wire [{n * 12 - 1}:0] a, input wire [{n * 12 - 1}:0] b,
            output reg [{n * 24 - 1}:0] p);
  genvar i;
  generate for (i = 0; i < {n}; i = i + 1) begin : g
    always @(posedge clk) p[i*24 +: 24] <= a[i*12 +: 12] * b[i*12 +: 12];
  end endgenerate
endmodule
"""
    return RtlBundle(files={"muls.v": src}, top="muls")


def test_a_template_is_placed_and_routed_with_real_figures(tmp_path):
    spec = AddSpec(lanes=8, in_bits=8, out_bits=8)
    fig = place_and_route(get(spec).render(spec), tmp_path, "ecp5-25k")
    assert fig["ok"] and fig["fits"], fig
    # 8 lanes x 8 output bits + the valid bit are registers; the saturating adders are LUT4s; no multiplier
    assert fig["ffs"] >= 8 * 8 + 1 and fig["luts"] > 8 * 8 and fig["dsps"] == 0
    assert fig["fmax_mhz"] > 50 and fig["available"]["dsps"] == 28
    assert summary(fig).startswith(f"ecp5-25k: {fig['luts']} LUT4, {fig['ffs']} FF, 0 DSP")
    assert (tmp_path / "report.json").is_file() and (tmp_path / "top.json").is_file()


def test_multipliers_go_to_dsps_and_too_many_do_not_fit(tmp_path):
    fig = place_and_route(_multipliers(4), tmp_path / "four", "ecp5-25k")
    assert fig["ok"] and fig["dsps"] == 4, fig
    big = place_and_route(_multipliers(30), tmp_path / "thirty", "ecp5-25k")  # the 25k has 28 multipliers
    assert not big["ok"] and big["fits"] is False
    assert big["error"].startswith("does not fit ecp5-25k:") and "MULT18X18D" in big["error"]
    assert summary(big).startswith("ecp5-25k: does not fit")


def test_hostile_rtl_is_refused_before_any_tool_reads_it(tmp_path):
    bundle = RtlBundle(files={"x.v": 'module x; initial $system("rm -rf ~"); endmodule\n'}, top="x")
    with pytest.raises(AccelsmithError, match=r"\$system"):
        place_and_route(bundle, tmp_path, "ecp5-25k")
    assert not (tmp_path / "top.json").exists()


def test_an_unknown_device_is_one_line():
    with pytest.raises(UsageError, match="unknown FPGA device 'ice40'; known: ecp5-25k, ecp5-45k, ecp5-85k"):
        place_and_route(_multipliers(1), "/nonexistent", "ice40")


def test_parse_report_reads_nextpnr_bels():
    report = {"fmax": {"clk": {"achieved": 123.456, "constraint": 100}},
              "utilization": {"TRELLIS_COMB": {"used": 10, "available": 100},
                              "MULT18X18D": {"used": 2, "available": 28},
                              "DP16KD": {"used": 1, "available": 56}, "TRELLIS_FF": {"used": 7, "available": 100}}}
    assert parse_report(report) == {"luts": 10, "ffs": 7, "dsps": 2, "brams": 1, "lutram_cells": 0, "fmax_mhz": 123.5,
                                    "available": {"luts": 100, "ffs": 100, "dsps": 28, "brams": 56}}


def test_ppa_command_reports_fpga_figures_beside_yosys_cells(tmp_path):
    r = CliRunner().invoke(app, ["ppa", "examples/add_int8.yaml", "--workdir", str(tmp_path), "--fpga", "ecp5-45k"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["synth"]["ok"] and out["synth"]["cells"] > 0
    assert out["fpga"]["ok"] and out["fpga"]["device"] == "ecp5-45k" and out["fpga"]["luts"] > 0
    none = CliRunner().invoke(app, ["ppa", "examples/add_int8.yaml", "--workdir", str(tmp_path / "n"),
                                    "--fpga", "none"])
    assert none.exit_code == 0 and "fpga" not in json.loads(none.output)
    bad = CliRunner().invoke(app, ["ppa", "examples/add_int8.yaml", "--fpga", "ice40"])
    assert bad.exit_code == 2 and "unknown FPGA device 'ice40'" in bad.output
