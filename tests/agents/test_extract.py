"""Code and plan extraction from free-form replies."""

from __future__ import annotations

import pytest

from accelsmith.agents._extract import UnusableReply, extract_files, extract_json
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
