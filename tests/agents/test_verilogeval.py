"""``accelsmith problems DIR``: prompt-only drafting, compile-only repair, hidden grading."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from accelsmith.cli import app
from agents_oai_server import ScriptedServer, prompt_of

pytestmark = pytest.mark.sim
DATA = Path(__file__).parents[1] / "data" / "verilogeval"

ZERO = "```verilog\nmodule TopModule(output zero);\n  assign zero = 1'b0;\nendmodule\n```"
MUX_BAD = "```verilog\nmodule TopModule(input [7:0] a, input [7:0] b, input sel, output [7:0] out);\n  assign out = sel ? b : a\nendmodule\n```"
MUX_GOOD = MUX_BAD.replace("? b : a\n", "? b : a;\n")
COUNT_WRONG = ("```verilog\nmodule TopModule(input clk, input reset, output reg [3:0] q);\n"
               "  always @(posedge clk) if (reset) q <= 0; else q <= q - 1;\nendmodule\n```")


def responder(body: dict) -> dict:
    text = prompt_of(body)
    if "always drive 0" in text:
        return {"text": ZERO}
    if "multiplexer" in text:
        return {"text": MUX_GOOD if "did not compile cleanly" in text else MUX_BAD}
    return {"text": COUNT_WRONG}


def test_bench_grades_with_hidden_harness_and_reports_pass_at_1(tmp_path, monkeypatch):
    with ScriptedServer(responder) as srv:
        monkeypatch.setenv("ACCELSMITH_LLM_BASE_URL", srv.base_url)
        monkeypatch.setenv("ACCELSMITH_LLM_MODEL", "bench-model")
        result = CliRunner().invoke(app, ["problems", str(DATA), "--backend", "openai", "--max-iterations", "2",
                                          "--work-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "pass@1 without repair: 1/3 = 0.333" in out
    assert "pass@1 with repair:    2/3 = 0.667" in out
    assert "tokens in" in out
    bodies = [prompt_of(r["body"]) for r in srv.requests]
    assert len(bodies) == 1 + 2 + 1  # zero ok; mux broken then repaired; counter compiles (wrong, unseen)
    # interface by construction: the header the prompt's port list states is in the request
    mux = next(prompt_of(r["body"]) for r in srv.requests if "multiplexer" in prompt_of(r["body"]))
    assert "Use exactly this module header:\nmodule TopModule (\n    input  logic [7:0] a," in mux
    # nothing primes a clock that the problem does not name (the 2-input problems are combinational)
    for r in srv.requests:
        if "multiplexer" in prompt_of(r["body"]) or "always drive 0" in prompt_of(r["body"]):
            assert "clk" not in prompt_of(r["body"]) and "posedge" not in prompt_of(r["body"])
    # the honest-oracle rule: no grading material ever reaches the model
    for text in bodies:
        assert "RefModule" not in text and "Mismatches" not in text and "module tb" not in text
    repair = next(t for t in bodies if "did not compile cleanly" in t)
    assert "icarus error" in repair or "pyslang error" in repair
    assert not any(p.name.endswith(("_ref.sv", "_test.sv")) for p in (tmp_path).rglob("agent/**/*"))


@pytest.mark.timeout(300)
def test_problems_as_ray_tasks_match_a_local_run(tmp_path, monkeypatch, ray_cluster):
    """One Ray task per problem (each with its own backend, the problem's files sent as text): the same outcomes
    as the local run, and every problem's agent and grading folders come back."""
    from accelsmith.agents._verilogeval import find_problems, run_bench_suite

    c, _ = ray_cluster
    with ScriptedServer(responder) as srv:
        opts = {"base_url": srv.base_url, "model": "bench-model"}
        runs = {where: run_bench_suite(find_problems(DATA, None), backend="openai", max_iterations=2,
                                       work_dir=tmp_path / where, backend_options=opts, ray_address=address)
                for where, address in (("ray", c.address), ("local", None))}
    key = [(o.problem, o.first_pass, o.final_pass, o.iterations, o.detail) for o in runs["local"]]
    assert [(o.problem, o.first_pass, o.final_pass, o.iterations, o.detail) for o in runs["ray"]] == key
    assert sum(o.final_pass for o in runs["ray"]) == 2
    for o in runs["ray"]:
        assert (tmp_path / "ray" / o.problem / "grade_final").is_dir() and (tmp_path / "ray" / o.problem / "agent").is_dir()


def test_bench_rejects_a_folder_without_problems(tmp_path):
    result = CliRunner().invoke(app, ["problems", str(tmp_path)])
    assert result.exit_code == 2 and "no ProbNNN_*_prompt.txt" in result.output


MUX_SWAPPED = MUX_GOOD.replace("sel ? b : a;", "sel ? a : b;")
MUX_ALWAYS = ("```verilog\nmodule TopModule(input [7:0] a, input [7:0] b, input sel, output reg [7:0] out);\n"
              "  always @(*) begin\n    if (sel) out = b;\n    else out = a;\n  end\nendmodule\n```")


def test_candidates_agreeing_in_simulation_win_over_the_first_reply(tmp_path, monkeypatch):
    """Three candidates for the mux: the greedy one swaps the inputs, two sampled ones (written differently) agree.
    The behavioural consensus on random stimulus from the prompt's port list keeps one of the two; the hidden
    testbench is read only to grade, after the agent is done."""
    from agents_oai_server import sequence

    with ScriptedServer(sequence({"text": MUX_SWAPPED}, {"text": MUX_GOOD}, {"text": MUX_ALWAYS})) as srv:
        monkeypatch.setenv("ACCELSMITH_LLM_BASE_URL", srv.base_url)
        result = CliRunner().invoke(app, ["--candidates", "3", "--temperature", "0.5", "problems", str(DATA),
                                          "--backend", "openai", "--only", "mux2", "--work-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "pass@1 without repair: 0/1" in result.output and "pass@1 with repair:    1/1" in result.output
    bodies = [r["body"] for r in srv.requests]
    assert [b["temperature"] for b in bodies] == [0.0, 0.5, 0.5] and bodies[1]["seed"] != bodies[2]["seed"]
    sim_log = (tmp_path / "Prob002_mux2" / "agent" / "iter_01" / "consensus" / "consensus_sim.log").read_text()
    assert sim_log.count("S 0 ") == sim_log.count("S 1 ") == 200
    assert not any(p.name.endswith(("_ref.sv", "_test.sv")) for p in (tmp_path / "Prob002_mux2" / "agent").rglob("*"))


# the failure Qwen2.5-Coder-0.5B made on most of bench/problems (2026-12-04): a clock edge in a module without one
MUX_CLOCKED = ("```verilog\nmodule TopModule(input [7:0] a, input [7:0] b, input sel, output reg [7:0] out);\n"
               "  always @(posedge clk) begin\n    out <= sel ? b : a;\n  end\nendmodule\n```")


def test_a_clock_the_problem_does_not_have_is_fixed_mechanically(tmp_path, monkeypatch):
    with ScriptedServer(lambda body: {"text": MUX_CLOCKED}) as srv:
        monkeypatch.setenv("ACCELSMITH_LLM_BASE_URL", srv.base_url)
        result = CliRunner().invoke(app, ["problems", str(DATA), "--backend", "openai", "--only", "mux2",
                                          "--work-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "pass@1 without repair: 0/1" in result.output and "pass@1 with repair:    1/1" in result.output
    assert "fixes=1" in result.output and len(srv.requests) == 1  # fixed without asking again
    kept = (tmp_path / "Prob002_mux2" / "grade_final" / "rtl" / "candidate.sv").read_text()
    assert "always @(*)" in kept and "posedge" not in kept


def test_a_repair_that_repeats_itself_is_not_checked_again_and_the_next_step_samples(tmp_path, monkeypatch):
    with ScriptedServer(lambda body: {"text": MUX_CLOCKED}) as srv:
        monkeypatch.setenv("ACCELSMITH_LLM_BASE_URL", srv.base_url)
        result = CliRunner().invoke(app, ["--no-fixers", "--temperature", "0.5", "problems", str(DATA),
                                          "--backend", "openai", "--only", "mux2", "--max-iterations", "3",
                                          "--work-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "pass@1 with repair:    0/1" in result.output
    bodies = [r["body"] for r in srv.requests]
    # greedy draft, greedy repair (the same design: not compiled again), then a sampled ask at max(T, 0.8)
    assert [b["temperature"] for b in bodies] == [0.0, 0.0, 0.8] and "seed" in bodies[2]
    agent = tmp_path / "Prob002_mux2" / "agent"
    assert (agent / "iter_01" / "cand_00").is_dir() and not (agent / "iter_02").exists()
    assert not (agent / "iter_03").exists()  # the sampled reply repeated too
