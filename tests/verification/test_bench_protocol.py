"""The bench checks the ready/valid rules on every cycle and puts junk on an idle input bus."""

from __future__ import annotations

import pytest

from accelsmith.kinds.clamp import ClampSpec
from accelsmith.verification import derive, run_bench

pytestmark = pytest.mark.sim
SPEC = ClampSpec(lanes=4, bits=8, signed=True, name="relu4")
PORTS = """module clamp_top (
    input  wire clk, input wire rst_n,
    input  wire in_valid, output wire in_ready, input wire [31:0] in_x,
    output wire out_valid, input wire out_ready, output wire [31:0] out_y
);
    function [31:0] relu(input [31:0] x);
        integer i;
        for (i = 0; i < 4; i = i + 1) relu[i*8 +: 8] = x[i*8 + 7] ? 8'd0 : x[i*8 +: 8];
    endfunction
"""
# a one-stage output register, right: it loads only when it takes a beat
GOOD = PORTS + """    reg v; reg [31:0] y;
    assign in_ready = !v || out_ready;
    always @(posedge clk) begin
        if (!rst_n) v <= 1'b0;
        else if (in_ready) v <= in_valid;
        if (in_ready && in_valid) y <= relu(in_x);
    end
    assign out_valid = v; assign out_y = y;
endmodule
"""
# the input register loads every cycle and the output is computed from it: while a beat waits for the sink, an
# idle bus that held the last beat would hide the bug; junk on it shows it
IDLE_SAMPLER = PORTS + """    reg v; reg [31:0] xq;
    assign in_ready = !v || out_ready;
    always @(posedge clk) begin
        if (!rst_n) v <= 1'b0;
        else if (in_ready) v <= in_valid;
        xq <= in_x;
    end
    assign out_valid = v; assign out_y = relu(xq);
endmodule
"""
# ignores out_ready: a beat the sink did not take is replaced by the next one (valid drops, data changes)
DROPS = PORTS + """    reg v; reg [31:0] y;
    assign in_ready = 1'b1;
    always @(posedge clk) begin
        if (!rst_n) v <= 1'b0; else v <= in_valid;
        y <= relu(in_x);
    end
    assign out_valid = v; assign out_y = y;
endmodule
"""


def _bench(tmp_path, rtl: str):
    (tmp_path / "clamp_top.v").write_text(rtl)
    return run_bench([tmp_path / "clamp_top.v"], "clamp_top", derive(SPEC), tmp_path / "bench", sim="icarus",
                     timeout_s=120)


def test_a_right_pipeline_passes(tmp_path):
    res = _bench(tmp_path, GOOD)
    assert res.passed, res.summary()
    assert all(not c["protocol_violations"] for c in res.cases)


def test_logic_that_samples_the_idle_bus_fails(tmp_path):
    res = _bench(tmp_path, IDLE_SAMPLER)
    assert not res.passed
    bad = [c for c in res.cases if not c["passed"]]
    assert any(c["mismatches"] or c["protocol_violations"] for c in bad)


def test_a_dropped_or_changed_offer_is_a_protocol_violation(tmp_path):
    res = _bench(tmp_path, DROPS)
    rules = {v["rule"] for c in res.cases for v in c["protocol_violations"]}
    assert not res.passed
    assert rules & {"valid dropped before the beat was accepted", "data changed while valid and not yet accepted"}
    (v,) = [v for c in res.cases for v in c["protocol_violations"]][:1]
    assert v["port"] == "out_valid" and v["cycle"] > 0

# out_valid waits for out_ready: fine against a random sink, a deadlock against a legal sink that raises ready
# only after it sees valid
VALID_WAITS = GOOD.replace("assign out_valid = v;", "assign out_valid = v && out_ready;")


def test_valid_that_waits_for_ready_deadlocks_against_a_legal_sink(tmp_path):
    res = _bench(tmp_path, VALID_WAITS)
    failed = {c["case"] for c in res.cases if not c["passed"]}
    assert "sink_after_valid" in failed, res.summary()
    (case,) = [c for c in res.cases if c["case"] == "sink_after_valid"]
    assert case["timed_out"] and case["received_beats"] == 0


def test_every_plan_has_the_protocol_cases():
    from accelsmith.spec import known_kinds, spec_from_dict

    for kind in known_kinds():
        plan = derive(spec_from_dict({"kind": kind}))
        cases = {c.name: c for c in plan.cases}
        assert {"sink_after_valid", "sink_bursts", "long_train_stalls"} <= set(cases), kind
        assert cases["long_train_stalls"].jobs > 1 and cases["long_train_stalls"].out_stall_prob > 0
        assert all(c.latency_cycles is None for n, c in cases.items() if n.startswith(("sink_", "long_train")))


# the output register's valid bit is initialised but left out of the reset: a beat in flight when a reset arrives
# mid-job is still offered after it
NO_RESET_VALID = GOOD.replace("if (!rst_n) v <= 1'b0;\n        else if (in_ready) v <= in_valid;",
                              "if (in_ready) v <= in_valid;").replace("assign out_valid = v;",
                                                                      "initial v = 1'b0;\n    assign out_valid = v;")
# right, but takes a beat only every other cycle: half the stated rate (II = 1)
HALF_RATE = PORTS + """    reg v; reg [31:0] y; reg gap;
    assign in_ready = (!v || out_ready) && !gap;
    always @(posedge clk) begin
        if (!rst_n) begin v <= 1'b0; gap <= 1'b0; end
        else begin
            if (!v || out_ready) v <= in_valid && !gap;
            gap <= in_valid && in_ready;
        end
        if (in_ready && in_valid) y <= relu(in_x);
    end
    assign out_valid = v; assign out_y = y;
endmodule
"""
# offers a beat straight out of reset, before it has taken any input
EARLY_OUTPUT = GOOD.replace("if (!rst_n) v <= 1'b0;", "if (!rst_n) v <= 1'b1;")


RESET_CASES = {"reset_mid_job", "reset_after_job_0", "reset_mid_drain", "reset_mid_output"}


def test_reset_mid_job_exposes_state_that_misses_the_reset(tmp_path):
    assert NO_RESET_VALID != GOOD
    res = _bench(tmp_path, NO_RESET_VALID)
    failed = {c["case"] for c in res.cases if not c["passed"]}
    # only the mid-case resets show it
    assert "reset_mid_job" in failed and all(n.startswith("reset_") for n in failed), res.summary()


def test_a_right_design_at_half_the_stated_rate_fails_the_rate_check(tmp_path):
    res = _bench(tmp_path, HALF_RATE)
    slow = [c for c in res.cases if c.get("rate") and c["rate"]["too_slow"]]
    assert slow and not res.passed, res.summary()
    assert all(not c["mismatches"] for c in res.cases)  # every value right: only the rate is wrong
    from accelsmith.verification.testbench import _failure_line

    assert _failure_line(slow[0]).startswith(f"too slow: {slow[0]['jobs']} jobs took ")


def test_output_before_any_input_is_a_protocol_violation(tmp_path):
    res = _bench(tmp_path, EARLY_OUTPUT)
    rules = {v["rule"] for c in res.cases for v in c["protocol_violations"]}
    assert "output offered before any input beat was offered" in rules, res.summary()
    assert not {c["case"] for c in res.cases if c["case"].startswith("reset_mid")} & {c["case"] for c in res.cases if c["passed"]}


def test_the_stated_rate_and_the_reset_cases_reach_every_plan():
    from accelsmith.spec import known_kinds, spec_from_dict

    for kind in known_kinds():
        spec = spec_from_dict({"kind": kind})
        plan = derive(spec)
        cases = {c.name: c for c in plan.cases}
        assert RESET_CASES | {"sink_long_stalls", "sink_ready"} <= set(cases), kind
        assert cases["reset_mid_job"].pre_reset_inputs and cases["reset_mid_drain"].reset_delay_cycles > 0
        after_job = [c for n, c in cases.items() if n.startswith("reset_after_job_")]
        # exactly one job, then resets 0, 1, 2, 3, 5, ... cycles after its last beat, up to the first-job latency
        assert all(len(c.pre_reset_inputs) == len(c.inputs) // c.jobs for c in after_job), kind
        delays = [c.reset_delay_cycles for c in after_job]
        assert delays[:2] == [0, 1] and max(delays) < max(8, spec.rate.first_job_cycles or 8), (kind, delays)
        assert cases["reset_mid_output"].reset_after_output_beats >= 1, kind
        assert spec.rate is not None, kind
        multi = [c for c in plan.cases if c.jobs > 1]
        assert multi and all(c.rate_ii_cycles == spec.rate.ii_cycles for c in multi), kind


def test_a_combinational_pass_through_is_explained_by_the_offered_input(tmp_path):
    from pathlib import Path

    rtl = (Path(__file__).parents[2] / "examples" / "user" / "clamp_top.v").read_text()
    assert "assign out_valid = in_valid;" in rtl  # zero latency: valid is offered in the cycle the input is
    res = _bench(tmp_path, rtl)
    assert res.passed, res.summary()
