"""Code and plan extraction from free-form replies."""

from __future__ import annotations

import pytest

from accelsmith.agents._extract import MAX_REPLY_CHARS, UnusableReply, extract_files, extract_json, module_names
from accelsmith.agents._llm import PlanReply

MOD = "module {n} (input wire a, output wire y);\n  assign y = a;\nendmodule\n"


def test_fenced_block_inside_prose():
    files, notes = extract_files(f"Sure!\n```verilog\n{MOD.format(n='top')}```\nDone.", "top")
    assert list(files) == ["top.v"] and "assign y = a;" in files["top.v"] and notes == []


def test_several_named_files():
    reply = (f"File `leaf.v`:\n```systemverilog\n{MOD.format(n='leaf')}```\n"
             f"and top.v:\n```verilog\n{MOD.format(n='top')}```")
    files, _ = extract_files(reply, "top")
    assert sorted(files) == ["leaf.v", "top.v"]


def test_bare_modules_without_fences():
    files, _ = extract_files(f"Here it is:\n{MOD.format(n='top')}\nHope it helps", "top")
    assert files["top.v"].startswith("module top")


def test_single_module_with_another_name_is_renamed():
    files, notes = extract_files(f"```\n{MOD.format(n='relu')}```", "clamp_top")
    assert "module clamp_top" in files["relu.v"] and "renamed" in notes[0]


def test_repeated_module_keeps_the_later_version():
    reply = f"```verilog\n{MOD.format(n='top')}```\nFixed:\n```verilog\n{MOD.format(n='top').replace('= a', '= ~a')}```"
    files, notes = extract_files(reply, "top")
    assert list(files) == ["top.v"] and "~a" in files["top.v"]


@pytest.mark.parametrize("reply, why", [
    ("I cannot write Verilog.", r"^no Verilog `module \.\.\. endmodule` found in the reply$"),
    ("```verilog\nmodule top(input a);\n  wire b;\n", r"^the Verilog is cut off"),
    (f"```verilog\n{MOD.format(n='a')}{MOD.format(n='b')}```", r"^no module named `top` among \['a', 'b'\]$"),
])
def test_unusable_replies(reply, why):
    with pytest.raises(UnusableReply, match=why):
        extract_files(reply, "top")


def test_plan_json_validated():
    ok = extract_json('Plan:\n```json\n{"approach": "scratch", "architecture": "x", "pipeline_stages": 1}\n```',
                      PlanReply)
    assert ok.pipeline_stages == 1
    with pytest.raises(UnusableReply, match=r"^field 'pipeline_stages': Input should be greater"):
        extract_json('{"approach": "scratch", "architecture": "x", "pipeline_stages": -1}', PlanReply)
    with pytest.raises(UnusableReply, match=r"^not valid JSON"):
        extract_json('{"approach": scratch}', PlanReply)


def test_spec_description_has_no_json_true_or_null():
    """Models copied `true`/`null` from the parameters into Verilog; the prompt shows 1/0 and names unset fields."""
    from accelsmith.agents._prompting import describe_spec
    from accelsmith.spec import spec_from_dict

    text = describe_spec(spec_from_dict({"kind": "clamp", "lanes": 4, "bits": 8, "name": "relu4"}))
    params = next(line for line in text.splitlines() if line.startswith("Parameters"))
    assert '"signed": 1' in params and "true" not in params and "null" not in params
    assert "Not set (see below): hi" in text


# Hostile replies: each took the old lazy-regex passes seconds to minutes (quadratic); the linear passes must
# still give the right answer. No wall-clock asserts here (timed tests are flaky on a loaded machine).

def _repeat(unit: str, size: int) -> str:
    return unit * (size // len(unit) + 1)


def test_many_modules_without_endmodule():
    reply = "".join(f"module m{i}(input a);\n" for i in range(9000))
    assert len(reply) > 180_000
    with pytest.raises(UnusableReply, match=r"^no Verilog `module \.\.\. endmodule` found in the reply$"):
        extract_files(reply, "top")
    with pytest.raises(UnusableReply, match=r"^the Verilog is cut off"):
        extract_files(f"```verilog\n{reply}```", "top")


def test_many_unclosed_block_comments():
    body = "module top(input wire a, output wire y);\n" + _repeat("  assign y = a; /* todo\n", 120_000) + "endmodule\n"
    files, notes = extract_files(f"```verilog\n{body}```", "top")
    assert list(files) == ["top.v"] and notes == [] and files["top.v"].endswith("/* todo\nendmodule\n")
    assert module_names(body) == ["top"]
    # an unclosed `/*` runs to the end of the text, hiding the module after it
    assert module_names(f"{MOD.format(n='a')}/* {_repeat('/* ', 120_000)}\n{MOD.format(n='b')}") == ["a"]


def test_many_unclosed_fences():
    junk = _repeat("```verilog module m(input a); ", 180_000)
    with pytest.raises(UnusableReply, match=r"^no Verilog `module \.\.\. endmodule` found in the reply$"):
        extract_files(junk, "top")
    files, _ = extract_files(f"{junk}\n```verilog\n{MOD.format(n='top')}```", "top")
    assert list(files) == ["top.v"]
    with pytest.raises(UnusableReply, match=r"^no JSON object found in the reply$"):
        extract_json(_repeat('```json {"approach": ', 180_000), PlanReply)


@pytest.mark.parametrize("first_line, name", [
    ("a." * 100_000 + "x", "top.v"),  # no file name in it: named after the module
    ("b-" * 100_000 + "x.sv", "b-" * 100_000 + "x.sv"),
])
def test_long_name_like_run_on_a_blocks_first_line(first_line, name):
    files, _ = extract_files(f"```verilog\n// {first_line}\n{MOD.format(n='top')}```", "top")
    assert list(files) == [name]


def test_module_with_many_blank_lines():
    body = "module top(input wire a, output wire y);\n" + "\n" * 200_000 + "  assign y = a;\nendmodule\n"
    files, _ = extract_files(f"```verilog\n{body}```", "top")
    assert list(files) == ["top.v"] and module_names(body) == ["top"]


@pytest.mark.parametrize("text, names", [
    # `//` in a string is no comment, so the `/*` after it on the line is one
    ('module top(input a, output y);\n  initial $display("a \\"//\\" b"); /* an unused copy:\n'
     "module spare(input b);\n  */\n  assign y = a;\nendmodule\n", ["top"]),
    # `/*` in a string opens no comment that would hide the next module
    ('module top(input a);\n  initial $display("/* not a comment");\nendmodule\n'
     "module leaf(input b); // */\nendmodule\n", ["top", "leaf"]),
    # an unclosed string stops at its line's end
    ('module top(input a);\n  initial $display("oops);\nendmodule\n// module gone;\nmodule leaf;\nendmodule\n',
     ["top", "leaf"]),
])
def test_comment_markers_inside_strings(text, names):
    assert module_names(text) == names
    if len(names) == 1:
        files, notes = extract_files(f"```verilog\n{text}```", "chip")
        assert "module chip(" in files["top.v"] and "module spare" in files["top.v"] and "renamed" in notes[0]


def test_reply_over_the_size_limit():
    big = MOD.format(n="top") + " " * MAX_REPLY_CHARS
    assert f"{len(big):,}" == "524,356"
    limit = r"^the reply is 524,356 characters, over the 524,288-character limit; ask for the {} alone$"
    with pytest.raises(UnusableReply, match=limit.format("module")):
        extract_files(big, "top")
    with pytest.raises(UnusableReply, match=limit.format("JSON object")):
        extract_json(big, PlanReply)
    files, _ = extract_files(big[:MAX_REPLY_CHARS], "top")  # at the limit: accepted
    assert list(files) == ["top.v"]


@pytest.mark.parametrize("reply, why", [
    ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", r"^not valid JSON \(nested too deeply\)$"),
    ('{"pipeline_stages": ' + "1" * 5000 + "}", r"^not valid JSON \(a number too long to read\)$"),
])
def test_json_that_json_loads_cannot_read(reply, why):
    with pytest.raises(UnusableReply, match=why):
        extract_json(reply, PlanReply)
