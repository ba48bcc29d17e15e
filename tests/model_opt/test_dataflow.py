"""The dataflow and tiling search runs the real ZigZag engine: a generous budget is stall-free, a tight one stalls
and moves more DRAM bytes, the search keeps the faster dataflow, and the command prints a profile's choice."""

import json

import pytest
from typer.testing import CliRunner

from accelsmith.cli import app
from accelsmith.model_opt._dataflow import Budget, evaluate, search_op, search_profile
from accelsmith.model_opt._errors import ModelOptError
from accelsmith.model_opt._profile import GemmOp, WorkloadProfile

pytest.importorskip("zigzag")

G = GemmOp(name="proj", op="linear", m=32, n=64, k=64, a_bits=8, w_bits=8)


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch):
    monkeypatch.setenv("ACCELSMITH_DATAFLOW_CACHE", "")


def test_a_generous_budget_is_stall_free_and_a_tight_one_stalls():
    roomy = evaluate(G, Budget(rows=8, cols=8, sram_bytes=1 << 24, dram_bytes_per_cycle=1024), "output_stationary")
    assert roomy.compute_cycles == 4 * 8 * 64 + 2 * 8 + 8 - 2  # ceil(32/8) x ceil(64/8) output tiles x K, + fill
    assert roomy.stall_cycles <= 0.25 * roomy.compute_cycles, roomy
    # every operand crosses the DRAM port once: A and B once in, C (32-bit) once out
    assert roomy.dram_bytes == 32 * 64 + 64 * 64 + 32 * 64 * 4
    tight = evaluate(G, Budget(rows=8, cols=8, sram_bytes=512, dram_bytes_per_cycle=1), "output_stationary")
    assert tight.stall_cycles > roomy.compute_cycles and tight.cycles > 2 * roomy.cycles
    assert tight.dram_bytes >= roomy.dram_bytes and tight.energy_pj > roomy.energy_pj
    assert set(tight.sram_split_bytes) == {"I", "W", "O"} and sum(tight.sram_split_bytes.values()) <= 512
    assert "C" in tight.loop_order and "|" in tight.loop_order


def test_the_search_keeps_the_faster_dataflow():
    budget = Budget(rows=8, cols=8, sram_bytes=4096, dram_bytes_per_cycle=8)
    best, tried = search_op(G, budget)
    assert set(tried) == {"output_stationary", "weight_stationary"}
    assert best.cycles == min(tried.values()) and tried[best.dataflow] == best.cycles


def test_an_unknown_dataflow_is_one_line():
    with pytest.raises(ModelOptError, match="unknown dataflow 'row_stationary'; known: output_stationary"):
        evaluate(G, Budget(rows=4, cols=4, sram_bytes=4096, dram_bytes_per_cycle=8), "row_stationary")


def test_a_profile_is_searched_once_per_shape_and_printed(tmp_path):
    profile = WorkloadProfile(model="tiny", model_type="bert", seq_len=32, hidden_size=64, act_bits=8, gemms=[
        G, G.model_copy(update={"name": "proj2"}),
        GemmOp(name="qk", op="attention_qk", m=32, n=32, k=16, count=4, a_bits=8, w_bits=8)])
    calls = []
    choice = search_profile(profile, Budget(rows=8, cols=8, sram_bytes=8192, dram_bytes_per_cycle=16),
                            progress=lambda i, n, name: calls.append(name))
    assert calls == ["proj", "qk"] and [o.name for o in choice.ops] == ["proj", "proj2", "qk"]
    assert choice.total("cycles") == sum(o.cycles for o in choice.ops) and choice.summary()["ops"] == 3
    path = profile.to_json_file(tmp_path / "profile.json")
    r = CliRunner().invoke(app, ["dataflow", str(path), "--sram-kb", "8", "--dram-bw", "16", "--array", "8x8",
                                 "--json", str(tmp_path / "choice.json")])
    assert r.exit_code == 0, r.output
    assert "tiny: 8x8 array, 8 KB SRAM, 16 B/cycle DRAM" in r.output and "total over 3 GEMMs" in r.output
    saved = json.loads((tmp_path / "choice.json").read_text())
    assert saved["summary"]["cycles"] == choice.total("cycles")
    bad = CliRunner().invoke(app, ["dataflow", str(path), "--array", "8by8"])
    assert bad.exit_code == 2 and "--array '8by8'" in bad.output
