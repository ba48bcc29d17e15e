import pytest

from accelsmith.kinds.requant import RequantSpec
from accelsmith.verification.campaigns.mutate import PARAMS_UNCHANGED, generate_mutants, mutate

SRC = """\
module m (input wire clk, input wire a, input wire b, output wire out_valid, output wire [3:0] y);
    // a comment with a + b and 1'b1 is never mutated
    parameter integer W = 4;
    reg [3:0] q;
    assign out_valid = a && b;
    assign y = q + 4'd1;
    always @(posedge clk) begin
        if (a == b) q <= q - 1'b1;
    end
endmodule
"""


def test_every_operator_kind_appears_and_comments_are_untouched():
    mutants = generate_mutants({"m.v": SRC})
    ops = {m.operator for m in mutants}
    assert {"operator_flip", "constant_change", "width_change", "inverted_condition", "stuck_handshake"} <= ops
    assert all(m.line != 2 and m.line != 3 for m in mutants)  # comment line and parameter defaults
    flip = next(m for m in mutants if m.original == "&&")
    assert "assign out_valid = a || b;" in flip.apply({"m.v": SRC})["m.v"]
    stuck = [m.apply({"m.v": SRC})["m.v"] for m in mutants if m.operator == "stuck_handshake"]
    assert any("assign out_valid = 1'b1;" in s for s in stuck) and any("assign out_valid = 1'b0;" in s for s in stuck)


def test_sampling_is_deterministic_and_stratified():
    a = generate_mutants({"m.v": SRC}, max_mutants=5, seed=3)
    b = generate_mutants({"m.v": SRC}, max_mutants=5, seed=3)
    assert [m.id for m in a] == [m.id for m in b] and len(a) == 5
    assert len({m.operator for m in a}) == 5  # round-robin over operators


@pytest.mark.sim
def test_mutate_kills_sampled_requant_mutants(tmp_path):
    spec = RequantSpec(lanes=2, multipliers=[3, 5], shifts=[1, 2], out_bits=4, in_bits=16, rounding="nearest")
    report = mutate(spec, jobs=2, max_mutants=8, workdir=tmp_path, prove=False)
    assert report["mutants"] == 8
    assert report["killed"] + report["survived"] + report["stillborn"] + report["equivalent"] == 8
    # without yosys proofs, only the parameter judgement may call a mutant equivalent
    assert all(e["detail"] == PARAMS_UNCHANGED for e in report["equivalents"])
    assert report["kill_rate"] is not None and report["kill_rate"] >= 0.5  # a sample: the full figure is in bench/


EQ_SRC = """\
module t (input wire clk, input wire [3:0] a, input wire [3:0] b, output reg [3:0] y);
    wire [3:0] s = a + b;
    always @(posedge clk) y <= s;
endmodule
"""


@pytest.mark.parametrize("edit, proved", [("a + b", False), ("b + a", True)])
def test_equivalence_proof_separates_equal_from_different(tmp_path, edit, proved):
    from accelsmith.verification.campaigns.mutate import prove_equivalent

    gate = EQ_SRC.replace("a + b", "a - b" if not proved else edit)
    ok, log = prove_equivalent({"t.v": EQ_SRC}, {"t.v": gate}, "t", tmp_path)
    assert ok is proved, log


def test_report_scores_only_non_equivalent_building_mutants_and_lists_survivors():
    from accelsmith.verification.campaigns.mutate import MutantResult, _report, format_report

    spec = RequantSpec(lanes=2, multipliers=[3, 5], shifts=[1, 2])
    ms = generate_mutants({"m.v": SRC})[:5]
    results = [MutantResult(ms[0], "killed", "random"), MutantResult(ms[1], "killed", "wall-clock timeout"),
               MutantResult(ms[2], "survived", "equivalence not proved"), MutantResult(ms[3], "equivalent"),
               MutantResult(ms[4], "stillborn", "syntax error")]
    r = _report(spec, results, 1.0)
    assert (r["killed"], r["survived"], r["equivalent"], r["stillborn"], r["non_equivalent"]) == (2, 1, 1, 1, 3)
    assert r["kill_rate"] == 2 / 3 and r["killed_by_timeout"] == 1
    text = format_report(r)
    assert "2 killed / 3 non-equivalent = 66.7 %" in text
    assert f"survived   m.v:{ms[2].line} {ms[2].operator}" in text and "stillborn" in text


PARAM_SRC = """\
module p #(parameter integer N = 2) (input wire [7:0] a, output wire [7:0] y);
    localparam integer AW = (N > 1) ? $clog2(N) : 1;   // N = 4 below: '>' -> '>=' changes nothing
    localparam integer SH = AW + 1;
    assign y = a >> SH;
endmodule
module top (input wire [7:0] a, output wire [7:0] y);
    p #(.N(4)) u (.a(a), .y(y));
endmodule
"""


@pytest.mark.parametrize("original, replacement, equivalent", [
    (">", ">=", True),     # parameter code, every elaborated value the same
    ("+", "-", False),     # parameter code, SH changes: 3 -> 1
    (">>", "<<", False),   # not parameter code: never judged here, however harmless
])
def test_parameter_judgement_is_sound(original, replacement, equivalent):
    from accelsmith.verification.campaigns.mutate import Mutant, parameters_unchanged

    files = {"p.v": PARAM_SRC}
    start = PARAM_SRC.index(f" {original} ") + 1
    line = PARAM_SRC.count("\n", 0, start) + 1
    m = Mutant("x", "p.v", line, "operator_flip", original, replacement, start, start + len(original))
    assert parameters_unchanged(m, files) is equivalent


def test_parameter_override_edit_that_changes_a_value_is_not_equivalent():
    from accelsmith.verification.campaigns.mutate import Mutant, in_parameter_code, parameters_unchanged

    start = PARAM_SRC.index(".N(4)") + 3
    m = Mutant("x", "p.v", 7, "constant_change", "4", "5", start, start + 1)
    assert in_parameter_code(m, {"p.v": PARAM_SRC})
    assert not parameters_unchanged(m, {"p.v": PARAM_SRC})  # N itself differs


@pytest.mark.sim
def test_mutate_across_kills_with_the_spec_that_selects_the_branch(tmp_path):
    """The half-even spec never evaluates the round-to-nearest tie test; the nearest spec kills its flip."""
    from accelsmith.verification.campaigns.mutate import mutate_across

    base = dict(lanes=2, multipliers=[3, 5], shifts=[1, 2], out_bits=4, in_bits=16)
    half_even, nearest = RequantSpec(**base, rounding="half_even"), RequantSpec(**base, rounding="nearest")
    from accelsmith import hw_templates

    text = hw_templates.get("requant").render(half_even).files["requant.v"]
    ms = generate_mutants({"requant.v": text})
    tie = next(m for m in ms if m.original == ">=" and text[m.start - 5:m.end + 6] == "(rem >= half)")
    param = next(m for m in ms if parameters_unchanged_ok(m, half_even, nearest))
    report = mutate_across([half_even, nearest], jobs=2, workdir=tmp_path, only=[tie.id, param.id])
    assert report["mutants"] == 2 and report["files"] == ["requant.v"]
    assert [s["id"] for s in report["equivalents"]] == [param.id]
    assert report["killed"] == 1 and report["killed_by_spec"] == {half_even.label: 0, nearest.label: 1}


def parameters_unchanged_ok(m, *specs) -> bool:
    from accelsmith import hw_templates
    from accelsmith.verification.campaigns.mutate import parameters_unchanged

    return all(parameters_unchanged(m, hw_templates.get("requant").render(s).files) for s in specs)


def test_every_reviewed_equivalence_names_a_current_mutant_and_says_why():
    """The reviewed arguments are keyed on the exact source line before and after the edit: an entry that no
    longer matches a mutant of the template's RTL (the line changed) is stale and fails here."""
    from pathlib import Path

    import yaml

    from accelsmith import hw_templates
    from accelsmith.spec import load_spec
    from accelsmith.verification.campaigns.mutate import mutated_lines, reviewed_equivalents

    examples = Path(__file__).resolve().parents[2] / "examples"
    files = {}
    for y in sorted(examples.glob("*.yaml")):
        spec = load_spec(y)
        files.update(hw_templates.get(spec.kind).render(spec).files)
    yamls = sorted(Path(hw_templates.__file__).parent.glob("*/*.equivalents.yaml"))
    for path in yamls:
        name = path.name.replace(".equivalents.yaml", ".v")
        keys = {(name, *mutated_lines(m, {name: files[name]})) for m in generate_mutants({name: files[name]})}
        entries = yaml.safe_load(path.read_text())
        reviews = reviewed_equivalents([name])
        assert len(reviews) == len(entries), f"{path.name}: duplicate entries"
        for key, why in reviews.items():
            assert key in keys, f"{path.name}: stale entry {key[1]!r} -> {key[2]!r}"
            assert len(why) > 40 and "TODO" not in why, key


def test_reviewed_equivalence_applies_to_survivors_only_and_is_reported_apart(tmp_path, monkeypatch):
    from accelsmith.verification.campaigns.mutate import equivalence as _mutate
    from accelsmith.verification.campaigns.mutate import MutantResult, _apply_reviews, _report, format_report, mutated_lines

    spec = RequantSpec(lanes=2, multipliers=[3, 5], shifts=[1, 2])
    ms = generate_mutants({"m.v": SRC})[:3]
    files = {"m.v": SRC}
    argued = {("m.v", *mutated_lines(m, files)): "an argument long enough to be a reason" for m in ms[:2]}
    monkeypatch.setattr(_mutate, "reviewed_equivalents", lambda names: argued)
    results = [MutantResult(ms[0], "killed", "random"), MutantResult(ms[1], "survived"),
               MutantResult(ms[2], "survived")]
    _apply_reviews(results, files)
    assert [r.status for r in results] == ["killed", "equivalent", "survived"]  # a kill beats an argument
    r = _report(spec, results, 1.0)
    assert (r["kill_rate"], r["equivalent_reviewed"], r["kill_rate_proved_only"]) == (0.5, 1, 1 / 3)
    assert "counted as survivors instead: 1 / 3 = 33.3 %" in format_report(r)


def test_a_malformed_review_file_is_a_one_line_error(tmp_path, monkeypatch):
    from accelsmith import hw_templates
    from accelsmith.verification.campaigns.mutate import reviewed_equivalents

    pkg = tmp_path / "pkg" / "x"
    pkg.mkdir(parents=True)
    (pkg / "x.equivalents.yaml").write_text("- file: x.v\n  line: a\n  mutated: b\n")
    monkeypatch.setattr(hw_templates, "__file__", str(tmp_path / "pkg" / "__init__.py"))
    with pytest.raises(ValueError, match=r"^x.equivalents.yaml: entry 1 needs exactly file, line, mutated and a non-empty why$"):
        reviewed_equivalents(["x.v"])


PIPE_SRC = """\
module pipe (input wire clk, input wire rst_n, input wire in_valid, output wire in_ready, input wire [7:0] in_data,
             output wire out_valid, input wire out_ready, output wire [7:0] out_data);
    reg v;
    reg [7:0] q;
    reg [3:0] n;
    wire fire = in_valid && in_ready;
    assign in_ready = !v || out_ready;
    assign out_valid = v;
    assign out_data = q;
    always @(posedge clk) begin
        if (!rst_n) begin
            v <= 1'b0;
            n <= 4'd0;
        end else begin
            if (in_ready) v <= in_valid;
            if (fire) n <= n + 4'd1;
        end
    end
    always @(posedge clk) if (~rst_n) q <= 8'd0; else if (fire) q <= in_data;
endmodule
"""

REG_VALID_SRC = """\
module src (input wire clk, input wire rst_n, output reg out_valid, input wire out_ready, output reg [3:0] out_data);
    always @(posedge clk) begin
        if (!rst_n) out_valid <= 1'b0;
        else if (!out_valid || out_ready) begin
            out_valid <= 1'b1;
            out_data <= out_data + 4'd1;
        end
    end
endmodule
"""


def _bug_class(src: str, name: str = "pipe.v") -> dict[str, list[str]]:
    from accelsmith.verification.campaigns.mutate import BUG_CLASS_OPERATORS

    out: dict[str, list[str]] = {}
    for m in generate_mutants({name: src}):
        if m.operator in BUG_CLASS_OPERATORS:
            out.setdefault(m.operator, []).append(m.apply({name: src})[name])
    return out


def test_reset_removal_drops_one_register_from_each_reset_branch():
    got = _bug_class(PIPE_SRC)["reset_removal"]
    assert len(got) == 3
    assert PIPE_SRC.replace("            v <= 1'b0;\n", "") in got        # a block's statement: its line goes
    assert PIPE_SRC.replace("            n <= 4'd0;\n", "") in got
    assert PIPE_SRC.replace("if (~rst_n) q <= 8'd0;", "if (~rst_n) begin end") in got  # a lone body: begin end


def test_valid_waits_ready_gates_assigned_and_registered_valids():
    assert _bug_class(PIPE_SRC)["valid_waits_ready"] == [
        PIPE_SRC.replace("assign out_valid = v;", "assign out_valid = (v) && out_ready;")]
    got = _bug_class(REG_VALID_SRC, "src.v")["valid_waits_ready"]  # the reset's 1'b0 is left alone
    assert got == [REG_VALID_SRC.replace("out_valid <= 1'b1;", "out_valid <= (1'b1) && out_ready;")]


def test_idle_enable_drops_in_valid_from_the_accept_and_from_each_use():
    got = _bug_class(PIPE_SRC)["idle_enable"]
    assert len(got) == 3
    assert PIPE_SRC.replace("wire fire = in_valid && in_ready;", "wire fire = in_ready;") in got
    assert PIPE_SRC.replace("if (fire) n <= n", "if (in_ready) n <= n") in got
    assert PIPE_SRC.replace("else if (fire) q <= in_data", "else if (in_ready) q <= in_data") in got


def test_stall_ignored_takes_the_sinks_ready_as_high_in_logic_only():
    got = _bug_class(PIPE_SRC)["stall_ignored"]
    assert got == [PIPE_SRC.replace("assign in_ready = !v || out_ready;", "assign in_ready = !v || 1'b1;")]
    assert _bug_class(REG_VALID_SRC, "src.v")["stall_ignored"] == [
        REG_VALID_SRC.replace("(!out_valid || out_ready)", "(!out_valid || 1'b1)")]


def test_bug_classes_come_after_the_classic_mutants_so_classic_ids_are_unchanged():
    from accelsmith.verification.campaigns.mutate import BUG_CLASS_OPERATORS

    ms = generate_mutants({"pipe.v": PIPE_SRC})
    kinds = [m.operator in BUG_CLASS_OPERATORS for m in ms]
    assert kinds == sorted(kinds) and any(kinds) and not all(kinds)


@pytest.mark.sim
def test_every_bug_class_mutant_of_the_hand_written_modules_compiles(tmp_path):
    import subprocess

    from accelsmith.verification.campaigns.mutate import BUG_CLASS_OPERATORS

    for name, src in (("pipe.v", PIPE_SRC), ("src.v", REG_VALID_SRC)):
        for m in generate_mutants({name: src}):
            if m.operator in BUG_CLASS_OPERATORS:
                (tmp_path / name).write_text(m.apply({name: src})[name])
                r = subprocess.run(["iverilog", "-g2012", "-o", str(tmp_path / "a.out"), str(tmp_path / name)],
                                   capture_output=True, text=True)
                assert r.returncode == 0, (m.describe(), r.stderr)


@pytest.mark.sim
def test_mutate_reports_the_bug_class_kill_rate_apart(tmp_path):
    from accelsmith import hw_templates
    from accelsmith.verification.campaigns.mutate import BUG_CLASS_OPERATORS, format_report

    spec = RequantSpec(lanes=2, multipliers=[3, 5], shifts=[1, 2], out_bits=4, in_bits=16, rounding="nearest")
    ms = generate_mutants(hw_templates.get("requant").render(spec).files)
    waits = next(m for m in ms if m.operator == "valid_waits_ready")              # deadlocks a sink-after-valid
    reset = next(m for m in ms if m.operator == "reset_removal" and "v1" in m.original)
    classic = next(m for m in ms if m.operator == "operator_flip" and m.original == "||")
    report = mutate(spec, jobs=2, workdir=tmp_path, prove=False, only=[waits.id, reset.id, classic.id])
    bug, cls = report["by_class"]["bug_class"], report["by_class"]["classic"]
    assert (bug["mutants"], cls["mutants"]) == (2, 1)
    assert bug["killed"] == 2 and bug["kill_rate"] == 1.0
    assert report["by_operator"].keys() >= {"valid_waits_ready", "reset_removal"}
    assert set(report["by_operator"]) - BUG_CLASS_OPERATORS == {"operator_flip"}
    text = format_report(report)
    assert "  bug classes: 2 killed / 2 non-equivalent = 100.0 %" in text
    assert "reset_removal 1/1" in text and "valid_waits_ready 1/1" in text
    assert f"  classic operators: {cls['killed']} killed / {cls['killed'] + cls['survived']} non-equivalent" in text
