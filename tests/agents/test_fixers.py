"""Mechanical fixes of drafted RTL, judged by the real linters (pyslang, Verilator), and in the design loop against a
real HTTP server: a draft whose only errors a fixer clears is verified without asking the model again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agents_designs import GOOD_RTL, HEADER, SPEC, fenced
from agents_oai_server import ScriptedServer, prompt_of, sequence
from accelsmith.agents._extract import UnusableReply, extract_files
from accelsmith.agents._fixers import apply_fixers, close_module
from accelsmith.verification import lint_pyslang, lint_verilator

# a registered ReLU with the mistakes the small models made (bench/results/llm_eval_*.json: "cannot assign to a
# net within a procedural context", "use of undeclared identifier 'true'", "Duplicate declaration of signal",
# "instance name is required", replies ending without `endmodule`)
REGISTERED = HEADER + """    wire v, y_valid;
    wire [31:0] y_q;
    assign in_ready = !v || out_ready;
    integer i;
    always @(posedge clk) begin
        if (!rst_n) v <= 1'b0;
        else if (in_ready) begin
            v <= in_valid;
            for (i = 0; i < 4; i = i + 1)
                y_q[i*8 +: 8] <= in_x[i*8 + 7] ? 8'd0 : in_x[i*8 +: 8];
        end
    end
    assign y_valid = v;
    assign out_valid = y_valid;
    assign out_y = y_q;
endmodule
"""


def lint(files: dict[str, str], folder: Path) -> list:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    paths = []
    for name, text in files.items():
        (folder / name).write_text(text)
        paths.append(folder / name)
    return lint_pyslang(paths, "clamp_top", folder) + lint_verilator(paths, "clamp_top", folder)


def fix(text: str, tmp_path: Path) -> tuple[str, list[dict]]:
    files = {"clamp_top.v": text}
    n = iter(range(100))
    fixed, records = apply_fixers(files, lint(files, tmp_path / "as_drafted"),
                                  lambda f: lint(f, tmp_path / f"trial_{next(n)}"))
    return fixed["clamp_top.v"], records


def errors(text: str, folder: Path) -> list[str]:
    return [d.message for d in lint({"clamp_top.v": text}, folder) if d.severity == "error"]


def test_a_net_driven_in_an_always_block_becomes_a_reg(tmp_path):
    assert any("procedural" in e for e in errors(REGISTERED, tmp_path / "before"))
    fixed, records = fix(REGISTERED, tmp_path)
    assert errors(fixed, tmp_path / "after") == []
    assert "    reg v;\n    wire y_valid;" in fixed and "    reg [31:0] y_q;" in fixed  # y_valid stays a wire
    assert records == [{"fixer": "net_to_reg", "kept": True, "errors_before": 6, "errors_after": 0}]


def test_an_output_port_driven_in_an_always_block_becomes_output_reg(tmp_path):
    text = REGISTERED.replace("assign out_y = y_q;\n", "").replace("y_q[i*8 +: 8] <=", "out_y[i*8 +: 8] <=")
    fixed, records = fix(text, tmp_path)
    assert "    output reg [31:0] out_y\n" in fixed and records[-1]["kept"]
    assert errors(fixed, tmp_path / "after") == []


def test_json_literals_become_verilog_constants_outside_comments(tmp_path):
    text = GOOD_RTL.replace("assign in_ready = out_ready;", "localparam SIGNED = true;  // true: two's complement\n"
                            "    localparam WRAP = false;\n    assign in_ready = out_ready;")
    assert any("'true'" in e for e in errors(text, tmp_path / "before"))
    fixed, records = fix(text, tmp_path)
    assert "localparam SIGNED = 1'b1;  // true: two's complement" in fixed and "WRAP = 1'b0;" in fixed
    assert records[0]["fixer"] == "json_literals" and records[0]["kept"]
    assert errors(fixed, tmp_path / "after") == []


def test_a_port_declared_again_in_the_body_is_declared_once(tmp_path):
    text = HEADER.replace("output wire [31:0] out_y", "output [31:0] out_y") + """    reg [31:0] out_y;
    reg v;
    assign in_ready = !v || out_ready;
    assign out_valid = v;
    always @(posedge clk) begin
        if (!rst_n) v <= 1'b0;
        else if (in_ready) begin
            v <= in_valid;
            out_y <= in_x;
        end
    end
endmodule
"""
    fixed, records = fix(text, tmp_path)
    assert "reg [31:0] out_y;" not in fixed and "    output reg [31:0] out_y\n" in fixed
    assert [r["fixer"] for r in records if r["kept"]] == ["duplicate_declaration"]
    assert errors(fixed, tmp_path / "after") == []


def test_an_instance_without_a_name_gets_one(tmp_path):
    text = ("module lane (input wire [7:0] x, output wire [7:0] y);\n    assign y = x[7] ? 8'd0 : x;\nendmodule\n"
            + HEADER + "    assign in_ready = out_ready;\n    assign out_valid = in_valid;\n"
            "    lane (.x(in_x[7:0]), .y(out_y[7:0]));\n    lane (.x(in_x[15:8]), .y(out_y[15:8]));\n"
            "    lane\n        (.x(in_x[23:16]), .y(out_y[23:16]));\n    lane (.x(in_x[31:24]), .y(out_y[31:24]));\n"
            "endmodule\n")
    assert sum("instance name is required" in e for e in errors(text, tmp_path / "before")) == 4
    fixed, records = fix(text, tmp_path)
    assert "lane u_lane_16 (.x(in_x[7:0])" in fixed and "lane u_lane_19\n" in fixed
    assert errors(fixed, tmp_path / "after") == []


def test_a_fixer_with_no_matching_declaration_leaves_the_draft_as_written(tmp_path):
    # the model drove an input port from its always block: no declaration a fixer may turn into a reg
    text = REGISTERED.replace("if (!rst_n) v <= 1'b0;", "if (!rst_n) begin v <= 1'b0; in_valid <= 1'b0; end")
    text = text.replace("wire v, y_valid;\n    wire [31:0] y_q;", "reg v;\n    wire y_valid;\n    reg [31:0] y_q;")
    assert any("procedural" in e for e in errors(text, tmp_path / "before"))
    fixed, records = fix(text, tmp_path)
    assert fixed == text and records == [{"fixer": "net_to_reg", "kept": False, "why": "no edit matched",
                                          "errors_before": 2}]


def test_an_edit_that_does_not_lower_the_errors_is_undone(tmp_path):
    """The rule itself, with the real linters: a rewrite that trades the error it answers for another is undone."""
    from accelsmith.agents._fixers import fixer

    fixer("rename_to_another_undeclared", codes=("UndeclaredIdentifier",))(
        lambda text, diags: text.replace("x_undeclared", "y_undeclared"))
    from agents_designs import LINT_BROKEN_RTL

    files = {"clamp_top.v": LINT_BROKEN_RTL}
    before = lint(files, tmp_path / "as_drafted")
    fixed, records = apply_fixers(files, before, lambda f: lint(f, tmp_path / "trial"),
                                  order=("rename_to_another_undeclared",))
    assert fixed == files
    assert records == [{"fixer": "rename_to_another_undeclared", "kept": False,
                        "errors_before": len([d for d in before if d.severity == "error" and d.code != "BUILD"]),
                        "errors_after": len([d for d in before if d.severity == "error" and d.code != "BUILD"])}]


def test_a_reply_that_forgot_endmodule_is_closed_but_a_cut_off_one_is_not():
    body = GOOD_RTL.rstrip().removesuffix("endmodule")
    files, notes = extract_files(f"```verilog\n{body}```\n", "clamp_top")
    assert files["clamp_top.v"].rstrip().endswith("endgenerate\nendmodule")
    assert "fixer close_module" in notes[0]
    cut = body.rsplit("endgenerate", 1)[0] + "            assign out_y[i*8 +: 8] = x[7] ?"
    assert close_module(cut) is None
    with pytest.raises(UnusableReply, match="cut off"):
        extract_files(f"```verilog\n{cut}\n```\n", "clamp_top")


@pytest.mark.sim
def test_the_loop_verifies_a_fixable_draft_without_asking_again(run_design):
    with ScriptedServer(sequence(fenced(REGISTERED), fenced(GOOD_RTL))) as srv:
        final = run_design(srv, SPEC)
    assert (final["status"], final["iteration"]) == ("verified", 1), final.get("stop_detail")
    assert len(srv.draft_requests()) == 1
    assert final["cost"]["fixes_applied"] == 1 and final["cost"]["fixes_undone"] == 0
    it = Path(final["run_dir"]) / "iter_01"
    drafted = (it / "rtl_as_drafted" / "clamp_top.v").read_text()  # the draft as written (the spec's header on it)
    assert drafted.split(");", 1)[1] == REGISTERED.split(");", 1)[1] and "output logic [31:0] out_y" in drafted
    assert "reg [31:0] y_q;" in (it / "rtl" / "clamp_top.v").read_text()
    assert json.loads((it / "fixes.json").read_text())[0]["fixer"] == "net_to_reg"
    cost = json.loads((Path(final["run_dir"]) / "cost.json").read_text())
    assert cost["fixes_applied"] == 1


@pytest.mark.sim
def test_without_fixers_the_same_draft_goes_back_to_the_model(run_design):
    with ScriptedServer(sequence(fenced(REGISTERED), fenced(GOOD_RTL))) as srv:
        final = run_design(srv, SPEC, fixers=False)
    assert (final["status"], final["iteration"]) == ("verified", 2)
    assert len(srv.draft_requests()) == 2 and "fixes_applied" not in final["cost"]


@pytest.mark.sim
def test_candidates_are_judged_by_the_bench_and_the_best_goes_on(run_design):
    """Three candidates per draft step: one that does not compile, one that fails cases, one right; the right one
    is kept in the first iteration, with each candidate's temperature, seed and evidence in the run folder."""
    from agents_designs import BROKEN_RTL, LINT_BROKEN_RTL

    with ScriptedServer(sequence(fenced(LINT_BROKEN_RTL), fenced(BROKEN_RTL), fenced(GOOD_RTL))) as srv:
        final = run_design(srv, SPEC, candidates=3, temperature=0.6)
    assert (final["status"], final["iteration"]) == ("verified", 1), final.get("stop_detail")
    drafts = srv.draft_requests()
    assert [d["temperature"] for d in drafts] == [0.0, 0.6, 0.6]
    assert "seed" not in drafts[0] and drafts[2]["seed"] == drafts[1]["seed"] + 1
    judged = json.loads((Path(final["run_dir"]) / "iter_01" / "candidates.json").read_text())
    assert judged["chosen"] == 2
    ev = judged["candidates"]
    assert [c["compiles"] for c in ev] == [False, True, True]
    assert ev[1]["cases_passed"] < ev[1]["cases"] == ev[2]["cases_passed"]
    assert [c["seed"] for c in ev] == [None, drafts[1]["seed"], drafts[2]["seed"]]
    assert final["cost"]["candidates_judged"] == 3 and len(final["tried"]) == 3


@pytest.mark.sim
def test_a_candidate_repeated_with_other_comments_is_not_judged_twice(run_design):
    same = GOOD_RTL.replace("assign in_ready = out_ready;", "// pass ready through\n    assign   in_ready = out_ready;")
    with ScriptedServer(sequence(fenced(GOOD_RTL), fenced(same))) as srv:
        final = run_design(srv, SPEC, candidates=2)
    assert (final["status"], final["iteration"]) == ("verified", 1)
    it = Path(final["run_dir"]) / "iter_01"
    assert not (it / "candidates.json").exists() and len(final["tried"]) == 1
    listed = json.loads((it / "draft.json").read_text())["candidates"]
    assert [c["repeat"] for c in listed] == [False, True] and listed[0]["fingerprint"] == listed[1]["fingerprint"]


@pytest.mark.sim
def test_the_spec_header_replaces_a_drifted_one_and_a_body_only_reply_gets_it(run_design):
    """Interface by construction: a reply with the wrong output width and `output reg`, and a reply holding only the
    body, both run with the spec's `logic` header; the prompt shows that header."""
    drifted = GOOD_RTL.replace("output wire [31:0] out_y", "output reg [7:0] out_y")
    body = GOOD_RTL.split(");", 1)[1]
    for reply in (drifted, body):
        with ScriptedServer(sequence(fenced(reply))) as srv:
            final = run_design(srv, SPEC)
        assert (final["status"], final["iteration"]) == ("verified", 1), final.get("stop_detail")
        assert "    output logic [31:0] out_y\n" in final["rtl"]["clamp_top.v"]
        assert "output logic [31:0] out_y" in prompt_of(srv.draft_requests()[0])


@pytest.mark.sim
def test_a_draft_without_a_template_sees_the_closest_design_verified_before(run_design):
    """Retrieval: after relu4 is verified, a draft for a related clamp spec is shown that design (and told which
    fields differ); with retrieval off, or for another kind, nothing is shown."""
    from accelsmith.kinds.clamp import ClampSpec

    with ScriptedServer(sequence(fenced(GOOD_RTL))) as srv:
        first = run_design(srv, SPEC)
    assert first["status"] == "verified"
    related = ClampSpec(lanes=4, bits=8, signed=True, lo=-5, hi=100, name="clamp_m5_100")
    with ScriptedServer(sequence(fenced(GOOD_RTL))) as srv:
        run_design(srv, related)
        shown = prompt_of(srv.draft_requests()[0])
    assert "passed the full test bench of a related clamp spec" in shown and "differs in: hi, lo" in shown
    assert "x[7] ? 8'd0 : x" in shown  # the verified RTL itself
    with ScriptedServer(sequence(fenced(GOOD_RTL))) as srv:
        run_design(srv, related, retrieve=False)
        assert "passed the full test bench" not in prompt_of(srv.draft_requests()[0])


REPLIES = Path(__file__).parents[1] / "data" / "llm_replies"


def test_a_real_reply_with_a_spaced_part_select_is_fixed_down_to_its_real_error(tmp_path):
    """Qwen2.5-Coder-1.5B's reply to the relu4 draft prompt (tests/data/llm_replies/README.md): `+ :` becomes `+:`,
    which clears the syntax error and leaves the design's own mistake (it drives the input `out_ready`) for the
    model."""
    from accelsmith.agents._extract import extract_with_header
    from accelsmith.agents._prompting import module_header
    from accelsmith.verification import derive

    reply = (REPLIES / "clamp_relu4_qwen1.5b_part_select.txt").read_text()
    files, _ = extract_with_header(reply, "clamp_top", module_header(derive(SPEC), "clamp_top"))
    before = errors(files["clamp_top.v"], tmp_path / "before")
    assert any("unexpected ':'" in e for e in before)
    fixed, records = fix(files["clamp_top.v"], tmp_path)
    kept = [r for r in records if r["kept"]]
    assert "in_x[i * BITS +: BITS]" in fixed and kept[0] == {"fixer": "part_select", "kept": True,
                                                             "errors_before": 2, "errors_after": 1}
    assert [e for e in errors(fixed, tmp_path / "after") if "%Error" not in e] == [
        "Assigning to input/const variable: 'out_ready'"]


@pytest.mark.sim
def test_a_real_reply_clocked_on_a_missing_clk_becomes_combinational(tmp_path):
    """Qwen2.5-Coder-0.5B's popcount (a combinational problem) written as ``always @(posedge clk)`` with no clk:
    pyslang and Icarus refuse it; the fixer turns the event control into ``@(*)`` and both accept it."""
    from accelsmith.agents._verilogeval import compile_check

    text = (Path(__file__).parents[1] / "data" / "llm_replies" / "popcount8_qwen0.5b_undeclared_clock.v").read_text()
    files = {"TopModule.v": text}
    before = [d for d in compile_check(files, tmp_path / "before") if d.severity == "error"]
    assert before and any("clk" in d.message for d in before)
    fixed, records = apply_fixers(files, before, lambda f: compile_check(f, tmp_path / "relint"))
    assert [r["fixer"] for r in records if r["kept"]] == ["undeclared_clock"]
    assert "always @(*)" in fixed["TopModule.v"] and "posedge" not in fixed["TopModule.v"]
    assert not [d for d in compile_check(fixed, tmp_path / "after") if d.severity == "error"]


@pytest.mark.sim
def test_a_real_reply_whose_header_ends_in_begin_is_closed_with_a_semicolon(tmp_path):
    """Qwen2.5-Coder-1.5B's relu8: ``) begin`` after the port list and no matching ``end``; a variant with the
    matching ``end`` before ``endmodule`` loses that ``end`` too. Both compile afterwards (pyslang and Icarus)."""
    from accelsmith.agents._verilogeval import compile_check

    text = (Path(__file__).parents[1] / "data" / "llm_replies" / "relu8_qwen1.5b_module_begin.v").read_text()
    balanced = text.replace("endmodule", "end // closes the module's begin\nendmodule")
    for k, variant in enumerate((text, balanced)):
        files = {"TopModule.v": variant}
        before = [d for d in compile_check(files, tmp_path / f"before{k}") if d.severity == "error"]
        assert before
        fixed, records = apply_fixers(files, before, lambda f: compile_check(f, tmp_path / f"relint{k}"))
        assert [r["fixer"] for r in records if r["kept"]] == ["module_begin"], records
        assert ");\n    always" in fixed["TopModule.v"] and "\n) begin" not in fixed["TopModule.v"]
        assert not [d for d in compile_check(fixed, tmp_path / f"after{k}") if d.severity == "error"]


def test_spec_parameters_named_as_if_declared_become_localparams_only_with_the_spec(tmp_path):
    """`lo`/`HI` (any case) are the spec's parameters: declared with its values; `other` is not one and stays an
    error; without the spec's values the fixer does not run."""
    text = ("module clamp_top (input logic signed [7:0] x, output logic signed [7:0] y);\n"
            "    assign y = x < lo ? lo : (x > HI ? HI : x + other);\nendmodule\n")
    files = {"clamp_top.v": text}
    diags = lint(files, tmp_path / "as_drafted")
    n = iter(range(100))
    fixed, records = apply_fixers(files, diags, lambda f: lint(f, tmp_path / f"t_{next(n)}"),
                                  params=SPEC.rtl_params())
    out = fixed["clamp_top.v"]
    assert "localparam integer lo = 0;" in out and "localparam integer HI = 127;" in out and "other =" not in out
    assert any(r["fixer"] == "spec_params" and r["kept"] for r in records)
    assert any("other" in e for e in errors(out, tmp_path / "after"))
    unchanged, records = apply_fixers(files, diags, lambda f: lint(f, tmp_path / f"u_{next(n)}"))
    assert unchanged == files and not any(r["fixer"] == "spec_params" for r in records)


@pytest.mark.sim
def test_a_real_lane_with_a_json_list_and_late_declarations_compiles_after_two_fixers(tmp_path):
    """Qwen2.5-Coder-1.5B's requant lane (it followed the prompt's steps): ``localparam MULTIPLIERS = [1518500250];``
    copied from the spec's JSON and declarations after statements inside ``always @(*)``. The list becomes its
    value (``MULTIPLIERS[0]`` the name) and the declarations move to the block's start; pyslang and Icarus then
    accept it, leaving the lane's own arithmetic for the bench to judge."""
    from accelsmith.agents._verilogeval import compile_check

    # named as the problem layout's top, so the compile check elaborates it
    files = {"TopModule.v": (REPLIES / "requant_lane_qwen1.5b_list_localparam.v").read_text()
             .replace("module requant_top_lane", "module TopModule")}
    before = [d for d in compile_check(files, tmp_path / "before") if d.severity == "error"]
    assert {d.code for d in before} >= {"PackedDimsRequireFullRange", "DeclarationsAtStart"}
    fixed, records = apply_fixers(files, before, lambda f: compile_check(f, tmp_path / "relint"))
    assert [r["fixer"] for r in records if r["kept"]] == ["list_localparam", "undeclared_clock",
                                                          "declarations_at_start"], records
    lane = fixed["TopModule.v"]
    assert "localparam MULTIPLIERS = 1518500250;" in lane and "in_data * MULTIPLIERS;" in lane
    assert "always @(*) begin\n    logic signed [64:0] p;\n    logic signed [37:0] r;" in lane
    assert not [d for d in compile_check(fixed, tmp_path / "after") if d.severity == "error"]
