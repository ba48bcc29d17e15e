"""The repair loop against a real HTTP server: feedback reaches the next request, budgets stop runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents_designs import BROKEN_RTL, GOOD_RTL, LINT_BROKEN_RTL, SPEC, fenced
from agents_oai_server import ScriptedServer, prompt_of, sequence

pytestmark = pytest.mark.sim


def test_mismatch_feedback_reaches_next_request_and_repair_verifies(run_design):
    with ScriptedServer(sequence(fenced(BROKEN_RTL), fenced(GOOD_RTL))) as srv:
        final = run_design(srv, SPEC, waves=True)
    assert final["status"] == "verified", final.get("stop_detail")
    assert final["stop_reason"] == "verified" and final["iteration"] == 2
    drafts = srv.draft_requests()
    assert len(drafts) == 2 and len(srv.plan_requests()) == 1
    first, second = prompt_of(drafts[0]), prompt_of(drafts[1])
    assert "failed verification" not in first
    # the repair request carries the previous RTL, the failing vector with its inputs, and the waveform
    assert "failed verification" in second and "assign out_y[i*8 +: 8] = x;" in second
    assert "expected 0, got -" in second and "inputs of that job" in second
    assert "waveform of the DUT ports" in second and "out_valid" in second
    run_dir = Path(final["run_dir"])
    window = json.loads((run_dir / "iter_01" / "failure_window.json").read_text())
    assert {"sim", "case", "vcd", "t_start", "t_end", "signals"} <= set(window)
    assert (run_dir / window["vcd"]).is_file() and window["t_start"] < window["t_end"]
    assert "in_x" in window["signals"] and "out_y" in window["signals"]
    cost = final["cost"]
    assert cost["tokens_in.small-coder"] > 0 and cost["tokens_out.small-coder"] > 0
    assert {"seconds.plan", "seconds.draft", "seconds.verify", "seconds.debug"} <= set(cost)
    # the key never reaches the run store or the checkpoint
    for p in run_dir.rglob("*"):
        if p.is_file():
            assert b"sk-test-secret-123" not in p.read_bytes(), p


def test_lint_errors_are_structured_feedback(run_design):
    with ScriptedServer(sequence(fenced(LINT_BROKEN_RTL), fenced(GOOD_RTL))) as srv:
        final = run_design(srv, SPEC)
    assert final["status"] == "verified" and final["iteration"] == 2
    second = prompt_of(srv.draft_requests()[1])
    assert "x_undeclared" in second and "pyslang error" in second


def test_iteration_budget_stops_with_reason(run_design):
    with ScriptedServer(sequence(fenced(BROKEN_RTL))) as srv:
        final = run_design(srv, SPEC, max_iterations=2)
    assert (final["status"], final["stop_reason"], final["iteration"]) == ("failed", "budget", 2)
    assert final["stop_detail"] == "max_iterations=2 reached"
    # the second reply repeats the first design: it is not checked again; the loop samples once more (temperature,
    # seed), gets the same design, and records that instead of simulating it twice
    drafts = srv.draft_requests()
    assert len(drafts) == 3 and "seed" not in drafts[1] and drafts[2]["temperature"] == 0.8 and "seed" in drafts[2]
    # the resample asks from the first draft's prompt: a repair prompt shows the previous design, which gets copied
    assert "failed verification" in prompt_of(drafts[1]) and "failed verification" not in prompt_of(drafts[2])
    assert [h["iteration"] for h in final["history"]] == [1, 2]
    assert final["diagnostics"][0]["code"] == "REPEATED" and final["cost"]["resampled_after_repeat"] == 1


def test_token_budget_stops_before_the_next_draft(run_design):
    with ScriptedServer(sequence(fenced(BROKEN_RTL))) as srv:
        final = run_design(srv, SPEC, max_iterations=5, max_tokens=50)
    assert final["stop_reason"] == "budget" and final["stop_detail"].startswith("max_tokens=50 reached")
    assert final["iteration"] == 0 and len(srv.draft_requests()) == 0  # the plan alone spent it


def test_wall_clock_budget(run_design):
    with ScriptedServer(sequence(fenced(BROKEN_RTL))) as srv:
        final = run_design(srv, SPEC, max_iterations=5, wall_clock_s=0.001)
    assert final["stop_reason"] == "budget" and final["stop_detail"].startswith("wall_clock_s=0.001")


def test_replies_without_code_are_retried_then_counted_never_crash(run_design):
    prose = {"text": "I would use a comparator per lane and pass the handshake through."}
    with ScriptedServer(sequence(prose, prose, fenced(GOOD_RTL), plan={"text": "approach: scratch"})) as srv:
        final = run_design(srv, SPEC, backend_options={"format_retries": 2})
    assert final["status"] == "verified" and final["iteration"] == 1
    drafts = srv.draft_requests()
    assert len(drafts) == 3
    assert "Your reply could not be used: no Verilog" in prompt_of(drafts[1])
    assert final["cost"]["format_retries"] == 2 + 2  # two for the draft, two for the plan that never parsed
    assert final["plan"]["llm_plan"] is None


def test_no_code_at_all_becomes_a_diagnostic_and_a_budget_stop(run_design):
    with ScriptedServer(sequence({"text": "Sorry, I cannot help with that."})) as srv:
        final = run_design(srv, SPEC, max_iterations=2, backend_options={"format_retries": 0})
    assert final["stop_reason"] == "budget" and final["iteration"] == 2
    assert final["diagnostics"][0]["code"] == "NO_CODE"


def test_server_that_keeps_failing_is_unrecoverable(run_design):
    with ScriptedServer(sequence({"status": 500})) as srv:
        final = run_design(srv, SPEC, backend_options={"http_retries": 1})
    assert final["stop_reason"] == "unrecoverable" and "still failing after 2 attempts" in final["stop_detail"]
    assert len(srv.draft_requests()) == 2
