"""``accelsmith flow``: model -> optimize -> constraints -> every block designed -> system report; resume."""

from __future__ import annotations

import json
import os
import string
import subprocess
import sys

import pytest

RECIPE = """
name: tiny-flow
seq_len: 8
calibration: {files: ["stdlib:json/*.py"], window: 8, calib_tokens: 32, eval_tokens: 16}
steps:
  - {type: quantize, w_bits: 8, a_bits: 8}
budget: {pe_budget: 16}
"""


@pytest.fixture
def bert_dir(tmp_path):
    torch = pytest.importorskip("torch")
    from transformers import BertConfig, BertModel, BertTokenizerFast

    torch.manual_seed(0)
    model = BertModel(BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                                 vocab_size=100, max_position_embeddings=16)).eval()
    chars = [c for c in string.printable if not c.isspace()][:95]
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + chars) + "\n")
    model.save_pretrained(tmp_path / "m")
    BertTokenizerFast(vocab_file=str(vocab), do_lower_case=False).save_pretrained(tmp_path / "m")
    return tmp_path / "m"


def _flow(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "accelsmith.cli", "flow", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=1200)


@pytest.mark.sim
@pytest.mark.slow
def test_flow_designs_every_block_reports_layers_and_resumes(bert_dir, tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE)
    out = tmp_path / "flow"
    first = _flow("--model", str(bert_dir), "--recipe", str(recipe), "--out", str(out), "--sim", "icarus",
                  "--no-cross-check", "--no-estimate", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    report = json.loads((out / "system_report.json").read_text())
    kinds = {b["kind"] for b in report["blocks"]}
    assert {"gemm", "softmax", "norm", "activation", "requant", "attention"} <= kinds
    assert all(b["status"] == "verified" and b["cycles_per_job"] > 0 for b in report["blocks"]), report["blocks"]
    assert report["pending"] == [] and report["all_verified"]  # the pooler's tanh is an activation table
    # one layer of this BERT: its GEMMs, softmax, norms and GELU all land on designed blocks
    layer0 = next(layer for layer in report["layers"] if layer["layer"] == "layer 0")
    assert layer0["cycles"] == sum(layer0["by_block"].values()) > 0
    assert report["total_cycles"] == sum(layer["cycles"] for layer in report["layers"])
    assert report["inferences_per_s"] == pytest.approx(500e6 / report["total_cycles"], rel=1e-3)
    assert report["tokens_per_s"] == pytest.approx(report["inferences_per_s"] * 8, rel=1e-3)
    md = (out / "system_report.md").read_text()
    assert "| layer 0 |" in md and "All blocks verified: yes." in md
    assert f"{len(report['blocks'])}/{len(report['blocks'])} blocks verified" in first.stdout
    # run again: optimize and every verified block are reused, not redone
    again = _flow("--model", str(bert_dir), "--recipe", str(recipe), "--out", str(out), "--sim", "icarus",
                  "--no-cross-check", "--no-estimate", cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "optimize: done earlier" in again.stdout
    assert again.stdout.count("verified earlier") == len(report["blocks"])
    assert json.loads((out / "system_report.json").read_text())["total_cycles"] == report["total_cycles"]


def test_flow_missing_model_exits_2(tmp_path):
    out = _flow("--model", str(tmp_path / "nope"), "--recipe", "r.yaml", "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().endswith("nope: model not found"), out.stderr


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_flow_on_ray_searches_and_designs_as_tasks(bert_dir, tmp_path, ray_cluster):
    """With --ray-address the dataflow search's candidate arrays and every block's design run are Ray tasks on a
    real local cluster; the report and the run store are what a local flow leaves, and a second call resumes."""
    from accelsmith.runstore import RunStore

    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE.replace("budget: {pe_budget: 16}", "budget: {pe_budget: 16, dram_bytes_per_cycle: 16}"))
    out = tmp_path / "flow"
    c, _ = ray_cluster
    args = ("--model", str(bert_dir), "--recipe", str(recipe), "--out", str(out), "--sim", "icarus",
            "--no-cross-check", "--no-estimate", "--ray-address", c.address)
    first = _flow(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "as Ray tasks at 127.0.0.1:" in first.stdout
    report = json.loads((out / "system_report.json").read_text())
    assert report["all_verified"] and report["total_cycles"] > 0
    constraints = json.loads((out / "design_constraints.json").read_text())
    assert all(a["search"]["engine"] == "zigzag" for a in constraints["arrays"])
    runs = RunStore(out / "runs").list()
    assert sorted(r.run_id for r in runs) == sorted(b["run_id"] for b in report["blocks"])
    assert all((out / "runs" / r.run_id / "report.md").is_file() for r in runs)
    again = _flow(*args, cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.count("verified earlier") == len(report["blocks"])
