"""Chat-completion clients: any OpenAI-compatible server, or a model file on this machine.

Transient failures (timeouts, connection errors, 429, 5xx) are retried with exponential back-off;
what remains becomes ``LLMUnavailable``. API keys live only in the client object, never in state.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from accelsmith.errors import AccelsmithError

from accelsmith.agents._env import ENV_BASE_URL, ENV_KEY, ENV_MODEL  # noqa: F401  (re-exported)
MAX_BACKOFF_S = 30.0

# llama.cpp GBNF for an RTL reply: one ```verilog fenced block and nothing around it, which starts with `module`
# (comments before it allowed) and ends with `endmodule`. Backquotes are refused inside the block, so the model cannot
# close the fence early, write a second block or a `define/`include, and the only way to finish is `endmodule` then
# the closing fence. (JSON literals such as `true` are left to the mechanical fixers: GBNF has no negative look-ahead.)
VERILOG_REPLY_GBNF = r"""
root ::= "```verilog\n" lead "module " body "endmodule" [ \t\n]* "```"
lead ::= ([ \t\n] | "//" [^\n`]* "\n")*
body ::= [^`]*
"""


class LLMError(AccelsmithError):
    """The model cannot be asked at all (bad request, missing package, missing model file)."""


class LLMUnavailable(LLMError):
    """The server kept failing transiently after every retry."""


@dataclass
class ChatReply:
    text: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    retries: int = 0                      # transient failures retried before this reply
    waits_s: list[float] = field(default_factory=list)


class OpenAIChat:
    """Chat completions from an OpenAI-compatible base URL (OpenAI, vLLM, Ollama, llama.cpp server)."""

    def __init__(self, base_url: str | None = None, model: str | None = None, *, timeout_s: float = 120.0,
                 retries: int = 4, backoff_s: float = 1.0, temperature: float = 0.0):
        import openai

        self.base_url = base_url or "https://api.openai.com/v1"
        self.model = model or "gpt-4o-mini"
        self.retries, self.backoff_s, self.temperature = retries, backoff_s, temperature
        self._openai = openai
        # the key is read here and kept only inside the client; local servers accept any key
        self._client = openai.OpenAI(base_url=self.base_url, api_key=os.environ.get(ENV_KEY) or "sk-no-key",
                                     timeout=timeout_s, max_retries=0)

    def __repr__(self) -> str:  # never shows the key
        return f"OpenAIChat(base_url={self.base_url!r}, model={self.model!r})"

    def _wait_s(self, attempt: int, err: Exception) -> float:
        headers = getattr(getattr(err, "response", None), "headers", None) or {}
        try:
            hinted = float(headers.get("retry-after", ""))
        except ValueError:
            hinted = 0.0
        return min(MAX_BACKOFF_S, max(hinted, self.backoff_s * (2 ** attempt)))

    def chat(self, messages: list[dict], max_tokens: int, *, temperature: float | None = None,
             seed: int | None = None, grammar: str | None = None) -> ChatReply:
        """One completion; ``temperature`` (default: the client's) and ``seed`` (sampling) apply to this call.
        ``grammar`` (GBNF) is sent as llama.cpp's server reads it (``extra_body``); other servers ignore or refuse it."""
        oa = self._openai
        extra = {} if seed is None else {"seed": seed}
        if grammar:
            extra["extra_body"] = {"grammar": grammar}
        transient = (oa.RateLimitError, oa.APITimeoutError, oa.APIConnectionError, oa.InternalServerError)
        waits: list[float] = []
        for attempt in range(self.retries + 1):
            try:
                resp = self._client.chat.completions.create(
                    model=self.model, messages=messages, max_tokens=max_tokens,
                    temperature=self.temperature if temperature is None else temperature, **extra)
            except transient as err:
                if attempt == self.retries:
                    raise LLMUnavailable(f"{self.base_url!r} still failing after {attempt + 1} attempts: "
                                         f"{type(err).__name__}") from None
                waits.append(self._wait_s(attempt, err))
                time.sleep(waits[-1])
                continue
            except oa.APIStatusError as err:  # 4xx other than 429: asking again will not help
                raise LLMError(f"{self.base_url!r} refused the request: HTTP {err.status_code}") from None
            usage = resp.usage
            text = (resp.choices[0].message.content or "") if resp.choices else ""
            return ChatReply(text=text, model=resp.model or self.model,
                             tokens_in=getattr(usage, "prompt_tokens", 0) or 0,
                             tokens_out=getattr(usage, "completion_tokens", 0) or 0,
                             retries=len(waits), waits_s=waits)
        raise LLMUnavailable(f"{self.base_url!r}: no attempt made")  # retries < 0


_LOAD_LOCK = threading.Lock()


@functools.cache
def _grammar(text: str):
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)


@functools.cache
def _llama(path: str, n_ctx: int, threads: int):
    try:
        from llama_cpp import Llama
    except ImportError:
        raise LLMError("the local GGUF route needs llama-cpp-python (optional extra): CMAKE_ARGS="
                       "'-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON' "
                       "pip install llama-cpp-python==0.3.36") from None
    return Llama(model_path=path, n_ctx=n_ctx, n_threads=threads, verbose=False, seed=0)


class LocalChat:
    """A GGUF file through llama.cpp (fast CPU route) or a Hugging Face folder through transformers.

    ``draft`` ("lookup", or a draft model sharing the tokenizer: a folder or .gguf file) decodes speculatively
    (``model_opt._speculative``; greedy replies are the model's own) on the transformers route, which a .gguf model
    then takes too (loaded in float32): llama.cpp's own prompt-lookup drafting was slower on this CPU
    (docs/agents.md, "Decoding speed")."""

    def __init__(self, model_path: str | None = None, *, n_ctx: int = 4096, threads: int | None = None,
                 temperature: float = 0.0, repeat_penalty: float = 1.1, draft: str | None = None):
        path = model_path
        if not path or not Path(path).exists():
            raise LLMError(f"local model {path!r} not found; give a .gguf file or a Hugging Face model folder")
        self.path, self.n_ctx, self.temperature = str(Path(path).resolve()), n_ctx, temperature
        # greedy decoding without a penalty sent Qwen2.5-Coder 0.5B/1.5B into loops of one repeated line
        self.repeat_penalty = repeat_penalty
        self.threads = threads or max(1, os.cpu_count() or 1)
        self.model = Path(path).name
        if draft and draft != "lookup" and not Path(draft).exists():
            raise LLMError(f"draft model {draft!r} not found; give 'lookup', a .gguf file or a model folder")
        self.draft = str(Path(draft).resolve()) if draft and draft != "lookup" else draft

    def chat(self, messages: list[dict], max_tokens: int, *, temperature: float | None = None,
             seed: int | None = None, grammar: str | None = None) -> ChatReply:
        """One completion; ``grammar`` (GBNF) constrains the tokens llama.cpp may sample (GGUF files only: the
        transformers route has no grammar and ignores it)."""
        temperature = self.temperature if temperature is None else temperature
        if self.path.endswith(".gguf") and not self.draft:
            with _LOAD_LOCK:
                llm = _llama(self.path, self.n_ctx, self.threads)
                try:
                    out = llm.create_chat_completion(messages=messages, max_tokens=max_tokens,
                                                     temperature=temperature, seed=seed,
                                                     repeat_penalty=self.repeat_penalty,
                                                     grammar=_grammar(grammar) if grammar else None)
                except (ValueError, RuntimeError) as err:  # e.g. the prompt outgrew the context window
                    raise LLMError(f"{self.model}: {type(err).__name__}: {str(err)[:200]}") from None
            usage = out.get("usage") or {}
            return ChatReply(text=out["choices"][0]["message"]["content"] or "", model=self.model,
                             tokens_in=usage.get("prompt_tokens", 0), tokens_out=usage.get("completion_tokens", 0))
        with _LOAD_LOCK:
            return _hf_chat(self.path, messages, max_tokens, self.model, self.repeat_penalty, temperature, seed,
                            draft=self.draft)


@functools.cache
def _hf_model(path: str):
    """(tokenizer, model) of a folder, or of a .gguf file dequantised by transformers (``model_opt.load_model``: offline,
    with its tokenizer fallback)."""
    from accelsmith.model_opt import ModelLoadError, load_model

    try:
        model, tok = load_model(path, causal_lm=True)
    except ModelLoadError as err:
        raise LLMError(str(err)) from None
    return tok, model


def _hf_chat(path: str, messages: list[dict], max_tokens: int, name: str, repeat_penalty: float = 1.0,
             temperature: float = 0.0, seed: int | None = None, draft: str | None = None) -> ChatReply:
    import torch

    tok, model = _hf_model(path)
    ids = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
                                  )["input_ids"]
    if draft:
        from accelsmith.model_opt._speculative import LookupDrafter, ModelDrafter, speculative_generate

        eos = model.generation_config.eos_token_id  # where plain ``generate`` stops
        drafter = LookupDrafter() if draft == "lookup" else ModelDrafter(_hf_model(draft)[1])
        new_ids, _ = speculative_generate(model, ids[0].tolist(), drafter, max_tokens, temperature=temperature,
                                          k=10 if draft == "lookup" else 4, eos_token_id=eos, seed=seed or 0,
                                          repetition_penalty=repeat_penalty)
        new = torch.tensor(new_ids, dtype=torch.long)
    else:
        sample = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        if temperature > 0 and seed is not None:
            torch.manual_seed(seed)
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=max_tokens, repetition_penalty=repeat_penalty, **sample)
        new = out[0, ids.shape[-1]:]
    return ChatReply(text=tok.decode(new, skip_special_tokens=True), model=name,
                     tokens_in=int(ids.shape[-1]), tokens_out=int(new.shape[-1]))
