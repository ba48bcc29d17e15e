"""optimize() and the CLI function end to end on a tiny model with a local tokenizer."""

from __future__ import annotations

import json
import string

import pytest
import torch
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
    # the compressed model's graph, captured: SwiGLU gate epilogues and attention fused, fewer bytes than op by op
    assert {g.pattern for g in profile.fused} >= {"gemm_epilogue", "attention", "residual_norm"}
    assert report["fusion"]["bytes_fused"] < report["fusion"]["bytes_unfused"]
    assert "| all |" in (out / "fusion.md").read_text()
    blocks = json.loads((out / "design_constraints.json").read_text())["blocks"]
    assert any(b["kind"] == "gemm_epilogue" and b["activation"]["function"] == "silu" for b in blocks)


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
    twice = RECIPE.replace("prune, mlp_ratio: 0.25", "quantize, w_bits: 8")   # every Linear packed before step 1
    good.write_text(twice)
    res = CliRunner().invoke(app, ["--model", str(model_dir), "--recipe", str(good), "--out", str(tmp_path / "c")])
    assert res.exit_code == 1 and "no Linear layer left to quantise" in str(res.exception), res.output
    good.write_text(twice.replace("  - {type: mixed_precision, avg_bits: 6, candidates: [4, 8]}\n", ""))
    res = CliRunner().invoke(app, ["--model", str(model_dir), "--recipe", str(good), "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert "perplexity:" in res.output


def test_recipe_names_a_draft_model_and_a_cascade(model_dir, tmp_path):
    """The profile records the decoding schedule (the draft model's single-token passes, the target's verify pass
    over k + 1 tokens attending over the context) and the cascade's earlier model; the arrays serve them all."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(1)
    small = Qwen2ForCausalLM(Qwen2Config(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                         num_key_value_heads=1, intermediate_size=64, vocab_size=100,
                                         max_position_embeddings=64)).eval()
    small.save_pretrained(tmp_path / "draft")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE.replace("steps:\n  - {type: prune, mlp_ratio: 0.25}\n", "steps:\n")
                      + "decoding: {draft_model: draft, draft_tokens: 4}\ncascade_before: [draft]\n")
    report = optimize(model_dir, recipe, tmp_path / "out")
    profile = load_profile(tmp_path / "out" / "workload_profile.json")
    d = profile.decoding
    assert d.method == "draft_model" and d.draft_model == "draft" and d.draft_tokens == 4
    q = next(g for g in d.verify_gemms if g.name == "model.layers.0.self_attn.q_proj")
    assert (q.m, q.k) == (5, 64)  # k + 1 tokens through the target's own (quantised) projection
    qk = next(g for g in d.verify_gemms if g.op == "attention_qk")
    assert (qk.m, qk.n) == (5, 32 + 5)  # the verify tokens attend over the 32-token context and themselves
    dq = next(g for g in d.draft_gemms if g.name == "model.layers.0.self_attn.q_proj")
    assert (dq.m, dq.k, dq.count) == (1, 32, 4)  # one token per pass, four passes per step
    assert profile.cascade_before[0].model == "draft" and profile.cascade_before[0].macs > 0
    assert report["decoding"]["draft_macs"] > 0 and report["decoding"]["verify_macs"] > 0
    assert report["cascade_before"][0]["params"] == sum(p.numel() for p in small.parameters())
    # a draft model named without the method that takes one, or the reverse, is a one-line recipe error
    bad = tmp_path / "bad.yaml"
    bad.write_text(RECIPE + "decoding: {method: prompt_lookup, draft_model: draft}\n")
    with pytest.raises(RecipeError, match="prompt_lookup takes none"):
        optimize(model_dir, bad, tmp_path / "out2")


def test_every_example_recipe_validates():
    from pathlib import Path

    from accelsmith.model_opt import load_recipe

    root = Path(__file__).resolve().parents[2] / "examples" / "recipes"
    names = {p.name: load_recipe(p)[0] for p in sorted(root.glob("*.yaml"))}
    assert len(names) >= 5
    assert names["qwen15b_speculative.yaml"].decoding.draft_tokens == 4
