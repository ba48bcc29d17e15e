"""Property-based fuzzing (hypothesis): no input to the spec loader, the CLI, the code extractor, the scan or the
VCD and diagnostics parsers ends in a traceback; each either works or raises its own one-line error."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from accelsmith.errors import AccelsmithError, SpecError

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])

KEYS = ["kind", "rows", "cols", "k", "in_bits", "signed", "acc_bits", "overflow", "dataflow", "name", "version",
        "lanes", "length", "hidden", "gamma", "beta", "eps", "function", "seq_len", "head_dim", "lo", "hi", "x"]
KINDS = ["gemm", "softmax", "norm", "requant", "attention", "activation", "clamp", "dot", "fifo", "maxreduce", "fft"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                    st.text(max_size=20), st.binary(max_size=8), st.sampled_from(KINDS))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                       st.dictionaries(st.text(max_size=5), inner, max_size=4)),
                      max_leaves=20)
yaml_ish = st.one_of(st.text(max_size=400), st.builds(
    lambda kind, pairs: f"kind: {kind}\n" + "".join(f"{k}: {v}\n" for k, v in pairs),
    st.sampled_from(KINDS), st.lists(st.tuples(st.sampled_from(KEYS), st.one_of(
        st.integers(-5, 70000).map(str), st.sampled_from(["true", "null", "[1, 2]", "{a: 1}", "&a 1", "*a", "!!binary aGk=",
                                                           "'x'", ".nan", "1e309", "- 1", "[", "]", "::"]))),
        max_size=8)))


@FAST
@given(data=st.dictionaries(st.sampled_from(KEYS), values, max_size=8))
def test_spec_from_dict_never_crashes(data):
    from accelsmith.spec import spec_from_dict

    try:
        spec_from_dict(data)
    except SpecError as err:
        assert str(err).startswith("<spec>: ")


@FAST
@given(text=yaml_ish, raw=st.binary(max_size=200), as_bytes=st.booleans())
def test_load_spec_never_crashes(text, raw, as_bytes):
    from accelsmith.spec import load_spec

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "s.yaml"
        p.write_bytes(raw if as_bytes else text.encode("utf-8", errors="replace"))
        try:
            load_spec(p)
        except SpecError as err:
            assert str(err).startswith(str(p))


@FAST
@given(reply=st.one_of(st.text(max_size=2000), st.builds(lambda parts: "".join(parts), st.lists(st.sampled_from(
    ["```verilog\n", "```\n", "module top(input a);", "module m;", "endmodule\n", "/*", "*/", "//", '"', "\n",
     "assign y = a;\n", "```json\n", "{", "}", "top.v", "\\"]), max_size=60))))
def test_code_extraction_never_crashes(reply):
    from pydantic import BaseModel

    from accelsmith.agents._extract import UnusableReply, extract_files, extract_json

    class Plan(BaseModel):
        approach: str

    try:
        files, _ = extract_files(reply, "top")
        assert files and all(isinstance(t, str) for t in files.values())
    except UnusableReply:
        pass
    try:
        extract_json(reply, Plan)
    except UnusableReply:
        pass


@FAST
@given(text=st.one_of(st.text(max_size=2000), st.builds("".join, st.lists(st.sampled_from(
    ["$system", "$display", "`include", '"x.vh"', "`define A $", "``", "/*", "*/", "//", '"', "\\", "\n", "import",
     '"DPI-C"', "`systemc_header", "$c(", "module m; endmodule", "`line 3 \"a.v\" 0\n"]), max_size=80))),
       name=st.one_of(st.just("m.v"), st.text(max_size=12)))
def test_the_scan_never_crashes(text, name):
    from accelsmith.verification._security import code_only, scan_rtl, scan_text

    for d in scan_rtl({name: text}):
        assert d.severity == "error" and d.code
    scan_text("pp.v", text, {"x.vh"}, preprocessed=True)
    assert code_only(text).count("\n") == text.count("\n")


@FAST
@given(text=st.one_of(st.text(max_size=3000), st.builds("\n".join, st.lists(st.sampled_from(
    ["%Error: a.v:3:5: bad", "%Warning-WIDTH: a.v:1: w", "a.v:2: error: x", "make: *** [x] Error 1", "ERROR: y",
     "%Error-", "x.sv:99999999999999999999: syntax error", ":::", "%Warning-: :1:"]), max_size=50))),
       tool=st.sampled_from(["verilator", "icarus"]))
def test_diagnostics_parsing_never_crashes(text, tool):
    from accelsmith.verification._lint import MAX_DIAGNOSTICS, parse_tool_output

    diags = parse_tool_output(tool, text)
    assert len(diags) <= MAX_DIAGNOSTICS + 1


VCD_TOKENS = ["$timescale 1ns $end\n", "$scope module top $end\n", "$var wire 1 ! clk $end\n",
              "$var wire 8 \" out_y $end\n", "$upscope $end\n", "$enddefinitions $end\n", "#0\n", "#10\n", "#-1\n",
              "1!\n", "0!\n", "b101 \"\n", "bxz \"\n", "r1.5 !\n", "$dumpvars\n", "$end\n", "#\n", "b \n", "x!\n"]


@FAST
@given(body=st.one_of(st.binary(max_size=600), st.builds(lambda parts: "".join(parts).encode(),
                                                         st.lists(st.sampled_from(VCD_TOKENS), max_size=60))))
def test_vcd_readers_never_crash(body):
    from accelsmith.agents._vcd import read_vcd
    from accelsmith.review._vcd import from_vcd

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "w.vcd"
        p.write_bytes(body)
        changes, _ = read_vcd(p, {"clk", "out_y"})
        assert set(changes) <= {"clk", "out_y"}
        problems: list[str] = []
        from_vcd(p, "w.vcd", problems)


ARGS = st.lists(st.one_of(st.sampled_from(
    ["--runs-dir", "--sim", "--backend", "--max-iterations", "--top", "--sim-timeout", "--memory-mb", "--no-cross-check",
     "--help", "verilator", "icarus", "openai", "0", "-1", "1e9", "nan", "x", "", "--", "-", "@"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)), max_size=6)


@pytest.mark.sim
@SLOW
@given(command=st.sampled_from([["design"], ["verify"], ["lint"], ["resume"], ["runs", "show"], ["runs", "list"], ["kinds"]]),
       args=ARGS, spec_text=yaml_ish)
def test_cli_argument_handling_never_crashes(command, args, spec_text, tmp_path_factory):
    """Any argument list: exit 0, 1 or 2, never a traceback. Files named in it are garbage specs or RTL."""
    from typer.testing import CliRunner

    from accelsmith.cli import app

    work = tmp_path_factory.mktemp("cli")
    (work / "s.yaml").write_text(spec_text[:2000])
    (work / "r.v").write_text(spec_text[:2000])
    full = [*command, *(["s.yaml"] if command[0] in ("design", "verify") else []),
            *(["r.v"] if command[0] in ("verify", "lint") else []), *args, "--runs-dir", str(work / "runs")]
    if command[0] in ("kinds",):
        full = [*command, *args]
    import os

    cwd = os.getcwd()
    os.chdir(work)
    try:
        result = CliRunner().invoke(app, full, catch_exceptions=True)
    finally:
        os.chdir(cwd)
    exc = result.exception
    assert exc is None or isinstance(exc, (SystemExit, AccelsmithError)), (full, repr(exc))
    assert result.exit_code in (0, 1, 2), (full, result.exit_code, result.output[-500:])



def test_a_string_continued_over_a_line_keeps_its_line_numbers():
    """Found by test_the_scan_never_crashes on CI (2026-12-04): a backslash-newline inside a string."""
    from accelsmith.verification._security import code_only

    text = 'x = "a\\\nb";\n$system("rm");\n'
    assert code_only(text).count("\n") == text.count("\n") == 3
    assert code_only('"\\\n') == '""\n'
