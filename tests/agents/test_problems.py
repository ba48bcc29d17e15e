"""accelsmith's own spec-to-RTL problems (bench/problems, VerilogEval layout, written here): every reference passes its
own testbench as a candidate, and candidates with the bugs people write fail it."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from accelsmith.agents._verilogeval import find_problems, grade

pytestmark = pytest.mark.sim
MAKE = Path(__file__).parents[2] / "bench" / "problems" / "make.py"


@pytest.fixture(scope="module")
def PROBLEMS(tmp_path_factory) -> dict:
    spec = importlib.util.spec_from_file_location("make_problems", MAKE)
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    folder = tmp_path_factory.mktemp("problems")
    make.write(folder)
    return {p.name.split("_", 1)[1]: p for p in find_problems(folder)}

# a small edit a person would plausibly make, per problem: (pattern in the reference, replacement)
BUGS = {
    "popcount8": ("i < 8", "i < 7"), "prio_enc8": ("assign valid = |in;", "assign valid = in[0];"),
    "sat_add8": ("(s > 127) ? 8'sd127 : (s < -128) ? -8'sd128 : s[7:0]", "s[7:0]"),
    "absdiff8": (": b - a", ": a - b"), "max4x8s": ("reg signed [7:0] v", "reg [7:0] v"),
    "relu8": ("x[7] ? 8'd0 : x", "x[6] ? 8'd0 : x"), "lzc16": ("i >= 0", "i >= 1"),
    "gray2bin8": ("b[i+1] ^ g[i]", "g[i+1] ^ g[i]"), "rotl8": ("{in, in} << amt", "{8'd0, in} << amt"),
    "mux4x8": ("(sel[0] ? d : c)", "(sel[0] ? c : d)"), "parity16": ("^in", "^in[14:0]"),
    "round_shr4": ("x + 17'sd8", "x + 17'sd7"), "onehot2bin8": ("i < 8", "i < 7"),
    "updown8": ("q - 8'd1", "q"), "shift4x8": ("{d, s0, s1, s2}", "{d, s0, s1, s1}"),
    "accum16": ("{{8{in[7]}}, in}", "{8'd0, in}"), "rise_detect": ("in & ~prev", "in ^ prev"),
    "running_max": ("x > m", "$unsigned(x) > $unsigned(m)"), "mac8": ("{{4{p[15]}}, p}", "{4'd0, p}"),
    "reg_slice8": ("!out_valid || out_ready", "out_ready"),
}


def as_candidate(problem, edit: tuple[str, str] | None = None) -> dict[str, str]:
    text = problem.ref.read_text().replace("module RefModule", "module TopModule")
    if edit:
        assert edit[0] in text, edit
        text = text.replace(*edit)
    return {"TopModule.sv": text}


def test_twenty_problems_of_our_own(PROBLEMS):
    assert len(PROBLEMS) == 20 and set(BUGS) == set(PROBLEMS)
    for p in PROBLEMS.values():
        prompt = p.prompt.read_text()
        assert "TopModule" in prompt and "RefModule" not in prompt and not re.search(r"Mismatches", prompt)


@pytest.mark.parametrize("name", sorted(BUGS))
def test_the_reference_passes_and_a_plausible_bug_fails(PROBLEMS, name, tmp_path):
    problem = PROBLEMS[name]
    ok, why = grade(as_candidate(problem), problem, tmp_path / "ref")
    assert ok, why
    ok, why = grade(as_candidate(problem, BUGS[name]), problem, tmp_path / "bug")
    assert not ok and re.fullmatch(r"[1-9][0-9]* mismatches in 400 samples", why), why
