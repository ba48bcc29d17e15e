"""Beat-function blocks drafted from scratch: the model writes the combinational core, the streaming shell
(ready/valid, reset, the spec's pipeline depth) is generated from the spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelsmith.kinds.clamp import ClampSpec
from accelsmith.kinds.fifo import FifoSpec
from accelsmith.kinds.requant import RequantSpec
from accelsmith.rtl import core_header, stream_shell
from accelsmith.verification import derive, run_bench
from agents_designs import fenced
from agents_oai_server import ScriptedServer, prompt_of, sequence

pytestmark = pytest.mark.sim

CLAMP = ClampSpec(lanes=4, bits=8, signed=True, name="relu4")
CLAMP_BODY = """    genvar i;
    generate for (i = 0; i < 4; i = i + 1) begin : g
        wire [7:0] x = in_x[i*8 +: 8];
        assign out_y[i*8 +: 8] = {EXPR};
    end endgenerate
endmodule
"""
# round half to even of x * 1518500250 / 2**38, saturated to int8: the default requant spec, two lanes
REQUANT_BODY = """    genvar i;
    generate for (i = 0; i < 2; i = i + 1) begin : g
        wire signed [31:0] x = in_data[i*32 +: 32];
        wire signed [63:0] p = x * $signed(64'd1518500250);
        wire signed [63:0] q = p >>> 38;
        wire [37:0] rem = p[37:0];
        wire up = (rem > 38'h2000000000) || (rem == 38'h2000000000 && q[0]);
        wire signed [63:0] r = q + up;
        assign out_data[i*8 +: 8] = (r > 127) ? 8'd127 : (r < -128) ? 8'h80 : r[7:0];
    end endgenerate
endmodule
"""


def _bench(spec, body: str, stages: int, folder: Path, sim: str):
    top, core = f"{spec.kind}_top", f"{spec.kind}_top_core"
    folder.mkdir(parents=True)
    (folder / "top.v").write_text(stream_shell(spec.ports(), top, core, stages))
    (folder / "core.v").write_text(core_header(spec.ports(), core) + "\n" + body)
    return run_bench([folder / "top.v", folder / "core.v"], top, derive(spec), folder / "bench", sim=sim)


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_the_shell_meets_the_protocol_and_the_spec_latency(tmp_path, sim):
    """The whole spec-derived bench (back-pressure, bubbles, resets mid-job, X on the idle bus, the rate and, for
    requant, the exact latency of 3 cycles) passes with a correct core in the generated shell."""
    res = _bench(CLAMP, CLAMP_BODY.replace("{EXPR}", "x[7] ? 8'd0 : x"), 1, tmp_path / "clamp", sim)
    assert res.passed, [c["case"] for c in res.cases if not c["passed"]]
    requant = RequantSpec(lanes=2, name="requant2")
    assert requant.beat_function and requant.rate.first_job_cycles == 3
    res = _bench(requant, REQUANT_BODY, 2, tmp_path / "requant", sim)
    assert res.passed, [c["case"] for c in res.cases if not c["passed"]]
    # one stage too few breaks the spec's latency, and only that: the shell's depth matters
    res = _bench(requant, REQUANT_BODY, 1, tmp_path / "requant_short", sim)
    failed = {c["case"] for c in res.cases if not c["passed"]}
    assert failed == {c.name for c in derive(requant).cases if c.latency_cycles is not None}


def test_a_wrong_core_fails_in_the_shell(tmp_path):
    res = _bench(CLAMP, CLAMP_BODY.replace("{EXPR}", "x"), 1, tmp_path / "bad", "icarus")
    assert not res.passed


def test_only_blocks_without_state_across_beats_get_a_shell():
    assert CLAMP.beat_function
    assert not FifoSpec(width=8, depth=4).beat_function  # its point is storage
    assert not RequantSpec(lanes=2, multipliers=[1 << 30] * 4, shifts=[31] * 4).beat_function  # channel groups


def test_the_model_writes_the_core_and_the_generated_shell_is_the_top(run_design):
    """The prompt asks for the combinational core with its fixed header and without the protocol; a reply that also
    writes its own top (with a wrong handshake) and a wrong core header is repaired by construction: the core gets
    the spec's header, the top is the generated shell, and the run verifies on the first iteration."""
    own_top = ("module clamp_top (input clk, input rst_n, input in_valid, output in_ready, input [31:0] in_x,\n"
               "                  output out_valid, input out_ready, output [31:0] out_y);\n"
               "    assign out_valid = 1'b1;\nendmodule\n")
    core = ("module clamp_top_core (input [31:0] x, output [31:0] y);\n"  # wrong port names: replaced
            + CLAMP_BODY.replace("{EXPR}", "x[7] ? 8'd0 : x").replace("in_x[", "x[").replace("out_y[", "y[")
            .replace("wire [7:0] x =", "wire [7:0] v =").replace("x[7] ? 8'd0 : x", "v[7] ? 8'd0 : v")
            .replace("y[i*8", "out_y[i*8").replace("= x[i*8", "= in_x[i*8"))
    with ScriptedServer(sequence(fenced(own_top + "\n" + core))) as srv:
        final = run_design(srv, CLAMP, shell=True)
    assert final["status"] == "verified", final.get("stop_detail")
    assert final["iteration"] == 1
    prompt = prompt_of(srv.draft_requests()[0])
    assert "module clamp_top_core (" in prompt and "input  logic [31:0] in_x" in prompt
    assert "Streaming protocol" not in prompt and "purely combinational" in prompt
    rtl = final["rtl"]
    assert "Generated from the spec by accelsmith" in rtl["clamp_top.v"]
    assert "assign out_valid = 1'b1" not in "".join(rtl.values())
    assert any("module clamp_top_core (\n    input  logic [31:0] in_x" in t for t in rtl.values())


def test_repair_shows_the_core_alone(run_design):
    """A failing core comes back for repair without the generated shell, and the repair asks for the core."""
    bad = "module clamp_top_core (input logic [31:0] in_x, output logic [31:0] out_y);\n" + CLAMP_BODY
    with ScriptedServer(sequence(fenced(bad.replace("{EXPR}", "x")), fenced(bad.replace("{EXPR}", "x[7] ? 8'd0 : x"))
                                 )) as srv:
        final = run_design(srv, CLAMP, shell=True)
    assert final["status"] == "verified" and final["iteration"] == 2
    second = prompt_of(srv.draft_requests()[1])
    assert "failed verification" in second and "Keep the top module `clamp_top_core`" in second
    assert "Generated from the spec by accelsmith" not in second and "expected 0, got -" in second
