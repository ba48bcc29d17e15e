"""Hostile LLM replies through the whole design loop (a real HTTP endpoint): refused or contained, never run on
the host, and no secret travels back to the server in a repair request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents_designs import GOOD_RTL, SPEC, fenced
from agents_oai_server import ScriptedServer, prompt_of, sequence

pytestmark = pytest.mark.sim

# `S($)system: no token pasting and no `$system` in the source; only the preprocessed text shows the call
ASSEMBLED = "`define S(a) a\n" + GOOD_RTL.replace(
    "endmodule", '    initial `S($)system("env > /tmp/ESCAPED_design_env; cat /etc/passwd > /tmp/ESCAPED_pw");\nendmodule')
FLOOD = GOOD_RTL.replace("endmodule", '    always @(posedge clk) begin : f integer n;\n'
                         '        for (n = 0; n < 1000000; n = n + 1) $display("%0d flood flood flood flood", n);\n'
                         '    end\nendmodule')


def _no_escape(srv, run_dir: Path) -> None:
    assert not list(Path("/tmp").glob("ESCAPED_design*")) and not list(Path("/tmp").glob("ESCAPED_pw"))
    passwd = Path("/etc/passwd").read_text().splitlines()[0]
    for req in srv.requests:
        assert passwd not in json.dumps(req["body"]) and "sk-test-secret-123" not in json.dumps(req["body"])
    for p in run_dir.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert b"sk-test-secret-123" not in data and passwd.encode() not in data, p


def test_a_call_assembled_by_the_preprocessor_is_refused_and_repaired(run_design):
    with ScriptedServer(sequence(fenced(ASSEMBLED), fenced(GOOD_RTL))) as srv:
        final = run_design(srv, SPEC)
    assert final["status"] == "verified" and final["iteration"] == 2, final.get("stop_detail")
    run_dir = Path(final["run_dir"])
    diags = json.loads((run_dir / "iter_01" / "diagnostics.json").read_text())
    assert any(d["code"] == "SYSTEM_TASK" and "after icarus's preprocessor" in d["message"] for d in diags), diags
    assert not (run_dir / "iter_01" / "bench_icarus").exists()  # no simulator ever saw it
    repair = prompt_of(srv.draft_requests()[1])
    assert "$system" in repair
    _no_escape(srv, run_dir)


def test_an_output_flood_is_cut_at_its_limits_and_repaired(run_design):
    with ScriptedServer(sequence(fenced(FLOOD), fenced(GOOD_RTL))) as srv:
        final = run_design(srv, SPEC, bench_timeout_s=6)
    assert final["status"] == "verified" and final["iteration"] == 2, final.get("stop_detail")
    run_dir = Path(final["run_dir"])
    bench = run_dir / "iter_01" / "bench_icarus"
    diags = json.loads((run_dir / "iter_01" / "diagnostics.json").read_text())
    assert any(d["code"] in ("SIM_TIMEOUT", "SIM_LIMIT") for d in diags), diags
    assert max(p.stat().st_size for p in bench.rglob("*") if p.is_file()) <= 512 << 20
    _no_escape(srv, run_dir)
