from pathlib import Path

import pytest

from accelsmith.verification import lint_pyslang, lint_verilator, parse_tool_output

DATA = Path(__file__).parent.parent / "data" / "rtl"


def _codes(diags, severity=None):
    return {(d.tool, d.code, d.line) for d in diags if severity is None or d.severity == severity}


def test_pyslang_undeclared_identifier_is_an_error():
    diags = lint_pyslang([DATA / "undeclared.v"], "undeclared")
    errs = [d for d in diags if d.severity == "error"]
    assert len(errs) == 1
    assert errs[0].code == "UndeclaredIdentifier" and errs[0].line == 2 and errs[0].file == "undeclared.v"
    assert "missing_sig" in errs[0].message


def test_pyslang_width_truncation_is_a_warning():
    diags = lint_pyslang([DATA / "truncate.v"], "truncate")
    assert ("pyslang", "WidthTruncate", 3) in _codes(diags, "warning")
    assert not [d for d in diags if d.severity == "error"]


def test_pyslang_syntax_error():
    diags = lint_pyslang([DATA / "syntax_error.v"], "syntax_error")
    assert any(d.severity == "error" and d.line in (1, 2) for d in diags)


@pytest.mark.sim
def test_verilator_lint_finds_undeclared_and_truncation(tmp_path):
    und = lint_verilator([DATA / "undeclared.v"], "undeclared", tmp_path)
    assert any(d.severity == "error" and d.line == 2 and "missing_sig" in d.message for d in und)
    trunc = lint_verilator([DATA / "truncate.v"], "truncate", tmp_path)
    assert ("verilator", "WIDTHTRUNC", 3) in _codes(trunc, "warning")


@pytest.mark.sim
def test_templates_are_lint_clean():
    from accelsmith.kinds.gemm import GemmSpec
    from accelsmith.hw_templates import get

    spec = GemmSpec(rows=3, cols=5, k=7, in_bits=4, acc_bits=8, overflow="saturate")
    bundle = get("gemm").render(spec)
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        paths = bundle.write(Path(d))
        diags = lint_pyslang(paths, bundle.top) + lint_verilator(paths, bundle.top, Path(d))
    assert diags == []


def test_parse_tool_output_formats():
    text = ("%Warning-WIDTHTRUNC: /x/y/top.v:12:5: Operator ASSIGNW expects 4 bits\n"
            "%Error: top.v:3:1: syntax error, unexpected assign\n"
            "top.v:7: error: Unknown module type: foo\n"
            "c++: error: something broke\n")
    verilator = parse_tool_output("verilator", text)
    assert [(d.severity, d.file, d.line, d.code) for d in verilator[:2]] == [
        ("warning", "top.v", 12, "WIDTHTRUNC"), ("error", "top.v", 3, None)]
    icarus = parse_tool_output("icarus", text)
    assert ("error", "top.v", 7) in {(d.severity, d.file, d.line) for d in icarus}
    assert any(d.code == "BUILD" and "something broke" in d.message for d in icarus)
