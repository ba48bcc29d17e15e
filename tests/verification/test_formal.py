"""Formal proof of the output handshake (yosys sat -tempinduct): each property proves on a right design and fails,
with a counterexample, on a design that breaks it."""

from __future__ import annotations

import pytest

from accelsmith.hw_templates._base import RtlBundle
from accelsmith.kinds.clamp import ClampSpec
from accelsmith.verification._formal import PROPERTIES, parse_sat_log, prove_rtl, verdict_text

pytestmark = pytest.mark.sim  # yosys
SPEC = ClampSpec(lanes=4, bits=8, signed=True, name="relu4")
PORTS = """module clamp_top (
    input  wire clk, input wire rst_n,
    input  wire in_valid, output wire in_ready, input wire [31:0] in_x,
    output wire out_valid, input wire out_ready, output wire [31:0] out_y
);
"""
GOOD = PORTS + """    reg v; reg [31:0] y;
    assign in_ready = !v || out_ready;
    always @(posedge clk) begin
        if (!rst_n) v <= 1'b0;
        else if (in_ready) v <= in_valid;
        if (in_ready && in_valid) y <= in_x;
    end
    assign out_valid = v; assign out_y = y;
endmodule
"""
# (design, the properties it must fail): each edit breaks the properties named, and only those
BROKEN = {
    # ignores out_ready: an offer the sink did not take is dropped or replaced
    "drops": (GOOD.replace("assign in_ready = !v || out_ready;", "assign in_ready = 1'b1;"),
              {"valid_held", "data_stable"}),
    # the data register loads every cycle: a waiting offer changes under the sink
    "data_moves": (GOOD.replace("if (in_ready && in_valid) y <= in_x;", "y <= in_x;"), {"data_stable"}),
    # valid left out of the reset
    "no_reset": (GOOD.replace("if (!rst_n) v <= 1'b0;\n        else if (in_ready) v <= in_valid;",
                              "if (in_ready) v <= in_valid;"), {"reset_clears_valid", "no_output_without_input"}),
    # an offer with no input behind it, one cycle after reset
    "spontaneous": (GOOD.replace("else if (in_ready) v <= in_valid;", "else if (in_ready) v <= 1'b1;"),
                    {"no_output_without_input"}),
}


def _prove(tmp_path, text: str) -> dict:
    return prove_rtl(RtlBundle({"clamp_top.v": text}, "clamp_top"), SPEC.ports(), tmp_path, depth=8, timeout_s=60)


def test_a_right_handshake_proves_every_property(tmp_path):
    rep = _prove(tmp_path, GOOD)
    assert [r["property"] for r in rep["properties"]] == [p.name for p in PROPERTIES]
    assert all(r["status"] == "proved" for r in rep["properties"]), [verdict_text(r) for r in rep["properties"]]
    assert rep["passed"]


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_handshake_fails_exactly_its_properties(tmp_path, name):
    text, breaks = BROKEN[name]
    assert text != GOOD
    rep = _prove(tmp_path, text)
    failed = {r["property"] for r in rep["properties"] if r["status"] == "failed"}
    assert failed == breaks, [f"{r['property']}: {verdict_text(r)}" for r in rep["properties"]]
    assert not rep["passed"]
    for r in rep["properties"]:
        if r["status"] == "failed":  # a counterexample: the cycle, the handshake trace and a VCD
            assert r["cycle"] >= 1 and r["trace"] and r["vcd"].endswith(".vcd"), r


def test_the_sat_log_parser_reads_each_verdict():
    assert parse_sat_log("Induction step proven: SUCCESS!\n[induction step 3]\n", 8)["status"] == "proved"
    assert parse_sat_log("Base case for induction length 5 proven.\nInterrupted SAT solver: TIMEOUT!\n", 8) == {
        "status": "timeout", "cycles": 5}
    assert parse_sat_log("Reached maximum number of time steps -> proof failed.\n", 8) == {"status": "bounded",
                                                                                          "cycles": 8}
    assert parse_sat_log("", 8)["status"] == "error"


def test_untrusted_rtl_is_scanned_before_yosys_reads_it(tmp_path):
    from accelsmith.errors import AccelsmithError

    hostile = GOOD.replace("endmodule", 'initial $system("id");\nendmodule')
    with pytest.raises(AccelsmithError):
        _prove(tmp_path, hostile)
    assert not list(tmp_path.glob("sat_*.log"))


def test_a_pass_through_block_proves_given_a_source_that_obeys_the_handshake(tmp_path):
    """examples/user/clamp_top.v is combinational (out_valid = in_valid, in_ready = out_ready): its output holds an
    offer exactly as long as the source holds its own, which the proof assumes and the bench's source does."""
    from pathlib import Path

    text = (Path(__file__).parents[2] / "examples" / "user" / "clamp_top.v").read_text()
    rep = _prove(tmp_path, text)
    assert all(r["status"] == "proved" for r in rep["properties"]), [verdict_text(r) for r in rep["properties"]]
    # ready tied high: the source's offer is taken, so nothing holds the output's untaken offer
    rep = _prove(tmp_path / "tied", text.replace("assign in_ready  = out_ready;", "assign in_ready  = 1'b1;"))
    assert {r["property"] for r in rep["properties"] if r["status"] == "failed"} == {"valid_held", "data_stable"}
