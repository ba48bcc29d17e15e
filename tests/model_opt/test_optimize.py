"""optimize() and the CLI function end to end on a tiny model with a local tokenizer."""

from __future__ import annotations

import json
import string

import pytest
import typer
from typer.testing import CliRunner

from accelsmith.errors import SpecError
from accelsmith.model_opt import RecipeError, load_profile, specs_from_profile
from accelsmith.model_opt._optimize import optimize
from accelsmith.model_opt.cli import optimize_cli

RECIPE = """
name: tiny
seq_len: 32
calibration: {files: ["stdlib:json/*.py"], window: 16, calib_tokens: 64, eval_tokens: 32}
steps:
  - {type: prune, mlp_ratio: 0.25}
  - {type: mixed_precision, avg_bits: 6, candidates: [4, 8]}
budget: {pe_budget: 256}
"""


@pytest.fixture
def model_dir(tiny_qwen, tmp_path):
    from transformers import BertTokenizerFast

    chars = [c for c in string.printable if not c.isspace()][:95]
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + chars) + "\n")
    tok = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=False)
    tiny_qwen.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    return tmp_path / "m"


def test_optimize_writes_everything(model_dir, tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE)
    seen = []
    report = optimize(model_dir, recipe, tmp_path / "out", progress=lambda s, i, n: seen.append(s))
    out = tmp_path / "out"
    assert seen[0] == "load model" and "mixed_precision" in seen and seen[-1] == "done"
    assert report["before"]["perplexity"] > 1 and report["after"]["perplexity"] > 1
    assert json.loads((out / "quality.json").read_text())["steps"][1]["avg_bits"] <= 6
    assert "| perplexity |" in (out / "quality.md").read_text()
    profile = load_profile(out / "workload_profile.json")
    down = next(g for g in profile.gemms if g.name == "model.layers.0.mlp.down_proj")
    assert down.k == 96 and down.w_bits in (4, 8) and down.m == 32
    assert (out / "topology.csv").read_text().startswith("Layer, M, N, K,\n")
    gemms = [s for s in specs_from_profile(out / "workload_profile.json") if s.kind == "gemm"]
    assert gemms and all(s.rows * s.cols == 1024 for s in gemms)  # default budget
    arrays = json.loads((out / "design_constraints.json").read_text())["arrays"]
    assert arrays and all(a["rows"] * a["cols"] == 256 for a in arrays)  # the recipe's budget
    assert (out / "model" / "accelsmith_manifest.json").is_file()


def test_cli_and_user_errors(model_dir, tmp_path):
    app = typer.Typer()
    app.command()(optimize_cli)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsteps:\n  - {type: sparsify}\n")
    with pytest.raises(RecipeError, match=r"step 0: unknown type 'sparsify'; known: prune, lora, quantize"):
        optimize(model_dir, bad, tmp_path / "o")
    bad.write_text("name: x\nsteps:\n  - {type: quantize, w_bits: 12}\n")
    with pytest.raises(SpecError, match=r"step 0 \(quantize\): w_bits: .* \(got 12\)$"):
        optimize(model_dir, bad, tmp_path / "o")
    good = tmp_path / "g.yaml"
    good.write_text(RECIPE.replace("prune, mlp_ratio: 0.25", "quantize, w_bits: 8"))
    res = CliRunner().invoke(app, ["--model", str(model_dir), "--recipe", str(good), "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert "perplexity:" in res.output
