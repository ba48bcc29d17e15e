"""Speculative decoding: greedy output identical to the target alone, sampled output distributed as the target's."""

from __future__ import annotations

import pytest
import torch

from accelsmith.model_opt._speculative import LookupDrafter, ModelDrafter, accept, speculative_generate


def _tiny_qwen(seed: int, layers: int, hidden: int, sharpen: float = 4.0):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    cfg = Qwen2Config(vocab_size=96, hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      tie_word_embeddings=True)
    model = Qwen2ForCausalLM(cfg).eval()
    with torch.no_grad():  # sharpen the random model so greedy paths are not decided by float noise
        model.lm_head.weight.mul_(sharpen)
    return model


@pytest.fixture(scope="module")
def pair():
    target = _tiny_qwen(0, layers=3, hidden=64)
    # a draft that mostly agrees with the target: the target with one layer fewer (the same embeddings)
    draft = _tiny_qwen(0, layers=2, hidden=64)
    return target, draft


def _greedy_reference(model, prompt: list[int], n: int) -> list[int]:
    ids = torch.tensor([prompt])
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=n, do_sample=False, min_new_tokens=n,
                             pad_token_id=0, eos_token_id=None)
    return out[0, len(prompt):].tolist()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_greedy_output_is_the_targets_own(pair, seed):
    target, draft = pair
    g = torch.Generator().manual_seed(seed)
    prompt = torch.randint(1, 96, (12,), generator=g).tolist()
    prompt = prompt + prompt[:6]  # a repeat for the lookup drafter to find
    want = _greedy_reference(target, prompt, 40)
    for drafter in (ModelDrafter(draft), LookupDrafter(), None):
        got, stats = speculative_generate(target, prompt, drafter, 40, k=4)
        assert got == want, type(drafter).__name__
        assert stats.new_tokens == 40 and stats.steps <= 40
    # the draft model agrees often enough that fewer target passes than tokens are needed
    _, stats = speculative_generate(target, prompt, ModelDrafter(draft), 40, k=4)
    assert stats.accepted > 0 and stats.steps < 40
    assert stats.acceptance == stats.accepted / stats.drafted


def test_the_target_as_its_own_draft_keeps_every_token_and_grows_the_draft(pair):
    target, _ = pair
    _, stats = speculative_generate(target, [5, 6, 7, 8], ModelDrafter(target), 30, k=2, k_max=8)
    assert stats.acceptance == 1.0
    assert stats.draft_lengths[:3] == [2, 4, 6] and max(stats.draft_lengths) == 8


def test_max_new_tokens_and_eos_stop_generation(pair):
    target, draft = pair
    want = _greedy_reference(target, [3, 4, 5], 20)
    got, _ = speculative_generate(target, [3, 4, 5], ModelDrafter(draft), 7, k=5)
    assert got == want[:7]
    stop = want[4]
    got, _ = speculative_generate(target, [3, 4, 5], ModelDrafter(draft), 20, k=5, eos_token_id=stop)
    assert got == want[:want.index(stop) + 1]


def test_rejection_rule_keeps_the_target_distribution():
    """One step with a single draft from q: the emitted token is distributed as p (a chi-square test at 20,000
    samples), for a model drafter and for a deterministic (one-hot) drafter."""
    p = torch.tensor([0.05, 0.40, 0.25, 0.20, 0.10])
    q = torch.tensor([0.30, 0.10, 0.30, 0.05, 0.25])
    gen = torch.Generator().manual_seed(7)
    n = 20_000
    for deterministic in (False, True):
        counts = torch.zeros(5)
        for _ in range(n):
            d = 2 if deterministic else int(torch.multinomial(q, 1, generator=gen))
            kept, nxt = accept([p, p], [d], None if deterministic else [q], 1.0, gen)
            counts[d if kept else nxt] += 1
        expected = p * n
        chi2 = float(((counts - expected) ** 2 / expected).sum())
        assert chi2 < 18.47, (deterministic, counts.tolist())  # 4 degrees of freedom, p = 0.001
    # a wrong rule (always keep the draft) fails the same test: the test can tell
    counts = torch.bincount(torch.multinomial(q, n, replacement=True, generator=gen), minlength=5).float()
    assert float(((counts - p * n) ** 2 / (p * n)).sum()) > 18.47


def test_sampled_generation_is_reproducible_and_counts_match(pair):
    target, draft = pair
    a, sa = speculative_generate(target, [9, 10, 11], ModelDrafter(draft), 25, temperature=0.8, seed=5)
    b, _ = speculative_generate(target, [9, 10, 11], ModelDrafter(draft), 25, temperature=0.8, seed=5)
    assert a == b and len(a) == 25
    assert sum(sa.accepted_per_step) == sa.accepted and sa.steps == len(sa.accepted_per_step)
    assert sa.new_tokens == sa.accepted + sa.steps or sa.new_tokens < sa.accepted + sa.steps  # last step may be cut


def test_lookup_drafter_proposes_what_followed_the_last_ngram():
    d = LookupDrafter(max_ngram=2)
    seq = [1, 2, 3, 4, 5, 9, 9, 1, 2]
    tokens, q, forwards = d.propose(seq, 3, 0.0, torch.Generator())
    assert tokens == [3, 4, 5] and q is None and forwards == 0
    assert d.propose([1, 2, 3], 3, 0.0, torch.Generator())[0] == []


def test_greedy_with_a_repetition_penalty_matches_generate():
    """The agent's local route decodes with a repetition penalty (1.1; 2.0 here, strong enough to change this output):
    the same penalty, applied per verified position, keeps the output the target's own under ``generate``."""
    target, draft = _tiny_qwen(0, layers=3, hidden=64, sharpen=1.5), _tiny_qwen(0, layers=2, hidden=64, sharpen=1.5)
    prompt = [7, 8, 9, 10, 7, 8, 9, 10, 7, 8]
    with torch.no_grad():
        want = target.generate(torch.tensor([prompt]), max_new_tokens=30, min_new_tokens=30, do_sample=False,
                               repetition_penalty=2.0, pad_token_id=0, eos_token_id=None)[0, len(prompt):].tolist()
    plain = _greedy_reference(target, prompt, 30)
    assert want != plain  # the penalty changes this output, so the comparison below can fail
    for drafter in (ModelDrafter(draft), LookupDrafter()):
        got, _ = speculative_generate(target, prompt, drafter, 30, k=4, repetition_penalty=2.0)
        assert got == want, type(drafter).__name__
