"""Beat-function blocks drafted from scratch: the model writes the combinational core, the streaming shell
(ready/valid, reset, the spec's pipeline depth) is generated from the spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelsmith.kinds.clamp import ClampSpec
from accelsmith.kinds.dot import DotSpec
from accelsmith.kinds.fifo import FifoSpec
from accelsmith.kinds.requant import RequantSpec
from accelsmith.kinds.maxreduce import MaxReduceSpec
from accelsmith.rtl import beat_core, beat_header, core_header, lane_core, lane_header, stream_shell
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


DOT = DotSpec(length=4, in_bits=8, out_bits=20, name="dot4")
DOT_BODY = """    wire signed [15:0] p0 = $signed(in_a[7:0]) * $signed(in_b[7:0]);
    wire signed [15:0] p1 = $signed(in_a[15:8]) * $signed(in_b[15:8]);
    wire signed [15:0] p2 = $signed(in_a[23:16]) * $signed(in_b[23:16]);
    wire signed [15:0] p3 = $signed(in_a[31:24]) * $signed(in_b[31:24]);
    assign out_dot = p0 + p1 + p2 + p3;
endmodule
"""


def test_a_lane_function_replicated_by_the_generator_passes(tmp_path):
    """A lane-parallel block: one lane written by hand, the core that replicates it and the shell generated."""
    ports = CLAMP.ports()
    folder = tmp_path / "lane"
    folder.mkdir()
    (folder / "top.v").write_text(stream_shell(ports, "clamp_top", "clamp_top_core", 1))
    (folder / "core.v").write_text(lane_core(ports, "clamp_top_core", "clamp_top_lane"))
    (folder / "lane.v").write_text(lane_header(ports, "clamp_top_lane") + "\n    assign out_y = in_x < 0 ? 8'sd0 : in_x;\n"
                                   "endmodule\n")
    res = run_bench(sorted(folder.glob("*.v")), "clamp_top", derive(CLAMP), folder / "bench", sim="icarus")
    assert res.passed, [c["case"] for c in res.cases if not c["passed"]]
    with pytest.raises(ValueError, match="one lane count"):
        lane_core(DOT.ports(), "dot_top_core", "dot_top_lane")  # a reduction: 4 lanes in, 1 out


def test_the_model_writes_the_beat_on_lane_ports_and_the_generated_shell_is_the_top(run_design):
    """The prompt asks for the combinational beat function with one port per lane (signed where the field is) and
    without the protocol; a reply that also writes its own top (with a wrong handshake) and a wrong header is repaired
    by construction: the beat gets the spec's header, core and top are generated, and the run verifies at once. The
    naive sum of products is right because the lanes arrive as signed numbers, not as slices of a bus."""
    assert DOT.beat_function and not DOT.lane_function
    own_top = ("module dot_top (input clk, input rst_n, input in_valid, output in_ready, input [31:0] in_a,\n"
               "    input [31:0] in_b, output out_valid, input out_ready, output [19:0] out_dot);\n"
               "    assign out_valid = 1'b1;\nendmodule\n")
    beat = ("module dot_top_beat (input [7:0] a, input [7:0] b, output [19:0] y);\n"  # names and widths replaced
            "    assign out_dot = in_a_0 * in_b_0 + in_a_1 * in_b_1 + in_a_2 * in_b_2 + in_a_3 * in_b_3;\nendmodule\n")
    with ScriptedServer(sequence(fenced(own_top + "\n" + beat))) as srv:
        final = run_design(srv, DOT, shell=True)
    assert final["status"] == "verified", final.get("stop_detail")
    assert final["iteration"] == 1
    prompt = prompt_of(srv.draft_requests()[0])
    assert "module dot_top_beat (" in prompt and "input  logic signed [7:0]  in_a_0," in prompt
    assert "in_a: 4 lanes, ports in_a_0 .. in_a_3, 8 bits each, signed" in prompt
    assert "Streaming protocol" not in prompt and "purely combinational" in prompt
    rtl = final["rtl"]
    assert set(rtl) == {"dot_top.v", "dot_top_core.v", "dot_top_beat.v"}
    assert "Generated from the spec by accelsmith" in rtl["dot_top.v"] and "u_beat" in rtl["dot_top_core.v"]
    assert "assign out_valid = 1'b1" not in "".join(rtl.values())
    assert "module dot_top_beat (\n    input  logic signed [7:0]  in_a_0" in rtl["dot_top_beat.v"]


def test_a_reduction_on_lane_ports_passes_in_the_generated_core(tmp_path):
    """maxreduce written on its lane ports (a signed max tree of four numbers) in the generated core and shell."""
    spec = MaxReduceSpec(lanes=4, bits=8, signed=True, name="max4")
    ports = spec.ports()
    folder = tmp_path / "max"
    folder.mkdir()
    (folder / "top.v").write_text(stream_shell(ports, "max_top", "max_top_core", 1))
    (folder / "core.v").write_text(beat_core(ports, "max_top_core", "max_top_beat"))
    x = [p for p in beat_header(ports, "b").split() if p.startswith("in_")]
    assert [p.rstrip(",") for p in x] == ["in_x_0", "in_x_1", "in_x_2", "in_x_3"]
    (folder / "beat.v").write_text(beat_header(ports, "max_top_beat") + """
    wire signed [7:0] m01 = in_x_0 > in_x_1 ? in_x_0 : in_x_1;
    wire signed [7:0] m23 = in_x_2 > in_x_3 ? in_x_2 : in_x_3;
    assign out_max = m01 > m23 ? m01 : m23;
endmodule
""")
    res = run_bench(sorted(folder.glob("*.v")), "max_top", derive(spec), folder / "bench", sim="icarus")
    assert res.passed, [c["case"] for c in res.cases if not c["passed"]]


def test_the_model_writes_one_lane_and_repair_shows_that_lane_alone(run_design):
    """A lane-parallel block (the ReLU): the prompt asks for one lane with signed scalar ports; a failing lane comes
    back for repair without the generated shell and core, and the repaired lane verifies."""
    assert CLAMP.lane_function
    bad = "module clamp_top_lane (input logic signed [7:0] in_x, output logic signed [7:0] out_y);\n" \
          "    assign out_y = {EXPR};\nendmodule\n"
    with ScriptedServer(sequence(fenced(bad.replace("{EXPR}", "in_x")),
                                 fenced(bad.replace("{EXPR}", "in_x < 0 ? 8'sd0 : in_x")))) as srv:
        final = run_design(srv, CLAMP, shell=True)
    assert final["status"] == "verified" and final["iteration"] == 2
    first, second = (prompt_of(r) for r in srv.draft_requests()[:2])
    assert "module clamp_top_lane (\n    input  logic signed [7:0] in_x" in first and "ONE lane" in first
    assert "step by step" not in first  # the clamp's description says it all
    assert "failed verification" in second and "Keep the top module `clamp_top_lane`" in second
    assert "Generated from the spec by accelsmith" not in second and "expected 0, got -" in second
    assert set(final["rtl"]) == {"clamp_top.v", "clamp_top_core.v", "clamp_top_lane.v"}


def test_a_real_lane_reply_naming_the_spec_parameters_is_fixed_and_verifies(run_design):
    """Qwen2.5-Coder-1.5B's first reply to the lane prompt used the spec's `lo` and `hi` as if declared; the
    `spec_params` fixer declares them with the spec's values (hi unset: the top of the range) and the design passes
    the whole bench on the first iteration."""
    reply = (Path(__file__).resolve().parents[1] / "data" / "llm_replies"
             / "clamp_lane_qwen1.5b_spec_params.txt").read_text()
    with ScriptedServer(sequence({"text": reply})) as srv:
        final = run_design(srv, CLAMP, shell=True)
    assert final["status"] == "verified" and final["iteration"] == 1, final.get("stop_detail")
    assert final["cost"]["fixes_applied"] >= 1
    lane = final["rtl"]["clamp_top_lane.v"]
    assert "localparam integer hi = 127;" in lane and "localparam integer lo = 0;" in lane


def _lane_from_steps(spec: RequantSpec) -> str:
    """The lane an engineer writes by following ``spec.lane_steps()`` line by line (one channel)."""
    m, s, w = spec.multipliers[0], spec.shifts[0], spec.in_bits + 32
    lo, hi, ob = *spec.out_range, spec.out_bits
    if spec.rounding == "nearest":
        q = f"wire signed [{w - 1}:0] q = (p + {w}'sd{1 << (s - 1)}) >>> {s};"
    else:
        q = (f"wire signed [{w - 1}:0] f = p >>> {s};\n    wire [{s - 1}:0] r = p[{s - 1}:0];\n"
             f"    wire signed [{w - 1}:0] q = f + ((r > {s}'d{1 << (s - 1)}) || (r == {s}'d{1 << (s - 1)} && f[0]));")
    sat = (f"(z < {lo}) ? -{ob}'sd{-lo} : (z > {hi}) ? {ob}'sd{hi} : z[{ob - 1}:0]" if spec.saturation
           else f"z[{ob - 1}:0]")
    return (f"    wire signed [{w - 1}:0] p = {w}'(in_data) * {w}'sd{m};\n    {q}\n"
            f"    wire signed [{w - 1}:0] z = q + ({spec.zero_point});\n    assign out_data = {sat};\nendmodule\n")


@pytest.mark.parametrize("spec", [RequantSpec(lanes=2, name="requant2"),
                                  RequantSpec(lanes=2, in_bits=16, multipliers=[12345], shifts=[9], zero_point=5,
                                              rounding="nearest", saturation=False, name="requant_wrap")],
                         ids=["half_even_sat", "nearest_wrap"])
def test_the_requant_lane_steps_are_the_spec(tmp_path, spec):
    """The steps a lane prompt shows carry the spec's numbers, and a lane that follows them passes the full bench:
    the text is the spec, not a paraphrase that could mislead."""
    steps = spec.lane_steps()
    assert str(spec.multipliers[0]) in steps and f">>> {spec.shifts[0]}" in steps
    assert ("r == half and f is odd" in steps) == (spec.rounding == "half_even")
    ports = spec.ports()
    folder = tmp_path / "lane"
    folder.mkdir()
    (folder / "top.sv").write_text(stream_shell(ports, "requant_top", "requant_top_core", 2))
    (folder / "core.sv").write_text(lane_core(ports, "requant_top_core", "requant_top_lane"))
    (folder / "lane.sv").write_text(lane_header(ports, "requant_top_lane") + "\n" + _lane_from_steps(spec))
    res = run_bench(sorted(folder.glob("*.sv")), "requant_top", derive(spec), folder / "bench", sim="icarus")
    assert res.passed, [c["case"] for c in res.cases if not c["passed"]]
    assert RequantSpec(lanes=2, multipliers=[3, 5], shifts=[1, 2]).lane_steps() is None  # per channel: no one lane


def test_the_requant_lane_prompt_shows_the_steps_and_a_lane_that_follows_them_verifies(run_design):
    spec = RequantSpec(lanes=2, name="requant2")
    reply = lane_header(spec.ports(), "requant_2l_top_lane") + "\n" + _lane_from_steps(spec)
    with ScriptedServer(sequence(fenced(reply))) as srv:
        final = run_design(srv, spec, shell=True, force_scratch=True)  # from scratch: no expert template shown
    assert final["status"] == "verified" and final["iteration"] == 1, final.get("stop_detail")
    first = prompt_of(srv.draft_requests()[0])
    assert "One lane, step by step:\n1. p = in_data * 1518500250: a signed 64-bit product" in first
