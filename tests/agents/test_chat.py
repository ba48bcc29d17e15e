"""Transport behaviour of the OpenAI-compatible client against a real HTTP server."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from accelsmith.agents._chat import LLMError, LLMUnavailable, OpenAIChat
from agents_oai_server import ScriptedServer, sequence

MSGS = [{"role": "user", "content": "hello"}]


def test_429_is_retried_with_backoff_honouring_retry_after(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-abc")
    replies = sequence({"status": 429, "headers": {"Retry-After": "0.3"}}, {"status": 503}, {"text": "ok"})
    with ScriptedServer(replies) as srv:
        chat = OpenAIChat(srv.base_url, "m", backoff_s=0.05, retries=3)
        t0 = time.perf_counter()
        reply = chat.chat(MSGS, 16)
        dt = time.perf_counter() - t0
    assert reply.text == "ok" and reply.retries == 2 and len(srv.requests) == 3
    assert reply.waits_s == [0.3, 0.1]  # Retry-After wins over the first back-off, then 2x back-off
    assert dt >= 0.4
    assert srv.requests[0]["auth"] == "Bearer sk-abc"
    assert "sk-abc" not in repr(chat)


def test_retries_run_out_into_llm_unavailable():
    with ScriptedServer(sequence({"status": 429})) as srv:
        with pytest.raises(LLMUnavailable, match=r"still failing after 3 attempts: RateLimitError$"):
            OpenAIChat(srv.base_url, "m", backoff_s=0.01, retries=2).chat(MSGS, 16)
    assert len(srv.requests) == 3


def test_client_errors_are_not_retried():
    with ScriptedServer(sequence({"status": 400})) as srv:
        with pytest.raises(LLMError, match=r"refused the request: HTTP 400$"):
            OpenAIChat(srv.base_url, "m", backoff_s=0.01).chat(MSGS, 16)
    assert len(srv.requests) == 1


def test_timeouts_are_retried():
    import threading

    gate = threading.Event()
    replies = sequence({"block": gate, "then": {"text": "late"}}, {"text": "ok"})
    with ScriptedServer(replies) as srv:
        reply = OpenAIChat(srv.base_url, "m", backoff_s=0.01, timeout_s=0.5).chat(MSGS, 16)
        gate.set()
    assert reply.text == "ok" and reply.retries == 1


def test_local_gguf_decodes_greedily_with_a_repeat_penalty(tmp_path, monkeypatch):
    """The llama.cpp call gets temperature 0 and the backend's repeat penalty (default 1.1, overridable)."""
    from accelsmith.agents import _chat
    from accelsmith.agents._backends import get_backend

    calls = []

    class FakeLlama:  # stands in for llama_cpp.Llama, which the test extras do not install
        def create_chat_completion(self, **kw):
            calls.append(kw)
            return {"choices": [{"message": {"content": "ok"}}], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}

    monkeypatch.setattr(_chat, "_llama", lambda *a: FakeLlama())
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    assert get_backend("local", model_path=str(gguf)).chat.chat(MSGS, 8).text == "ok"
    get_backend("local", model_path=str(gguf), repeat_penalty=1.3).chat.chat(MSGS, 8)
    assert [(c["temperature"], c["repeat_penalty"]) for c in calls] == [(0.0, 1.1), (0.0, 1.3)]


def test_the_rtl_grammar_goes_with_rtl_asks_only():
    """With ``grammar`` on, every RTL ask carries the GBNF (llama.cpp's server reads it from the body); the plan's
    JSON ask does not; off by default."""
    from accelsmith.agents._backends import Draft, get_backend
    from accelsmith.agents._chat import VERILOG_REPLY_GBNF

    reply = "```verilog\nmodule TopModule(input a, output y);\n  assign y = a;\nendmodule\n```"
    with ScriptedServer(sequence({"text": reply})) as srv:
        on = get_backend("openai", base_url=srv.base_url, model="m", grammar=True)
        off = get_backend("openai", base_url=srv.base_url, model="m")
        for be in (on, off):
            files, _ = be.complete(MSGS, lambda t: (t, []), "verilog", Draft(bundle=None))
            assert files == reply
        on._ask(MSGS, lambda t: t, "json", 16, Draft(bundle=None))  # a non-RTL ask (the plan)
    bodies = [r["body"] for r in srv.requests]
    assert bodies[0]["grammar"] == VERILOG_REPLY_GBNF
    assert "grammar" not in bodies[1] and "grammar" not in bodies[2]


_SMALL_GGUF = Path.home() / ".cache/accelsmith/models/smollm2-135m-instruct-q4_1.gguf"


@pytest.mark.skipif(not _SMALL_GGUF.exists() or importlib.util.find_spec("llama_cpp") is None,
                    reason="needs llama-cpp-python and ../shared/tools/provision-eval-llm --all")
def test_llama_cpp_keeps_a_weak_model_to_one_fenced_module():
    """A real 135M model through llama.cpp: free, it writes prose/C around no module; with the grammar the reply
    is one ```verilog block that starts with `module` and ends with `endmodule`."""
    import re

    from accelsmith.agents._chat import VERILOG_REPLY_GBNF, LocalChat

    chat = LocalChat(str(_SMALL_GGUF), threads=1)
    msgs = [{"role": "user", "content": "Write a Verilog module and2 with inputs a, b and output y = a & b."}]
    text = chat.chat(msgs, 120, grammar=VERILOG_REPLY_GBNF).text
    assert text.startswith("```verilog\n") and "module " in text
    assert "`" not in text[len("```verilog\n"):].rstrip("`")
    finished = re.fullmatch(r"```verilog\n(?:\s|//[^\n]*\n)*module [^`]*endmodule\s*```", text)
    assert finished or len(text) > 200  # either a whole module or cut at the token limit, never anything else


def _tiny_chat_model(folder: Path, layers: int) -> Path:
    """A random tiny Qwen2 with a character tokenizer and a chat template, saved as a model folder."""
    import string

    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    chars = [c for c in string.printable if not c.isspace()][:90]
    pieces = ["[PAD]", "[UNK]"] + chars + [f"##{c}" for c in chars]  # every word spelt in characters
    backend = Tokenizer(models.WordPiece({p: i for i, p in enumerate(pieces)}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.decoder = decoders.WordPiece()
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]")
    tok.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }} {% endfor %}assistant:"
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(Qwen2Config(vocab_size=192, hidden_size=64, intermediate_size=128, num_hidden_layers=layers,
                                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                                         tie_word_embeddings=False)).eval()
    with torch.no_grad():  # an output head that depends on the context (the default init repeats one token)
        model.lm_head.weight.normal_(0.0, 1.0)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_transformers_route_drafts_speculatively_with_unchanged_greedy_replies(tmp_path):
    """``draft`` (prompt lookup, or a smaller model) on the transformers route: the greedy reply, repeat penalty
    included, is the one plain ``generate`` gives."""
    from accelsmith.agents._chat import LocalChat

    target = _tiny_chat_model(tmp_path / "target", layers=2)
    small = _tiny_chat_model(tmp_path / "small", layers=1)
    msgs = [{"role": "user", "content": "module top(input a, output y); assign y = a; endmodule fix it: module top"}]
    plain = LocalChat(str(target), repeat_penalty=1.5).chat(msgs, 40)  # a random model: a strong penalty for variety
    assert plain.tokens_out == 40 and len(set(plain.text)) > 3
    for draft in ("lookup", str(small)):
        reply = LocalChat(str(target), repeat_penalty=1.5, draft=draft).chat(msgs, 40)
        assert (reply.text, reply.tokens_out) == (plain.text, plain.tokens_out), draft
    with pytest.raises(LLMError, match="draft model .* not found"):
        LocalChat(str(target), draft=str(tmp_path / "missing"))
