"""The LLM options a command line gives (base URL, model, local model, cascade, reply tokens, budgets, scratch,
waves) as one value handed down to ``design``; secrets are never kept."""

from __future__ import annotations

from dataclasses import dataclass

from accelsmith.agents._env import (ENV_BASE_URL, ENV_FORCE_SCRATCH, ENV_LOCAL_MODEL,  # noqa: F401
                                    ENV_MAX_TOKENS, ENV_MODEL, ENV_REPLY_TOKENS, ENV_STAGES, ENV_WALL_CLOCK,
                                    ENV_WAVES)

_SECRET_NAMES = {"api_key", "key", "password", "secret"}


@dataclass(frozen=True)
class LlmOptions:
    """What ``accelsmith --llm-... design`` was given (each also settable from its environment variable, read
    once by the command line); None: not given."""

    base_url: str | None = None
    model: str | None = None
    local_model: str | None = None
    cascade: str | None = None
    reply_tokens: int | None = None
    max_tokens: int | None = None
    wall_clock_s: float | None = None
    scratch: bool = False
    waves: bool = True
    fixers: bool = True
    retrieve: bool = True
    shell: bool = True
    candidates: int = 1
    temperature: float = 0.7
    grammar: bool = False
    draft: str | None = None


def llm_of(ctx) -> LlmOptions:
    """The global LLM options of this command line (a typer/click context; defaults when none were given)."""
    obj = ctx.find_root().obj if ctx is not None else None
    return obj if isinstance(obj, LlmOptions) else LlmOptions()


def resolve_backend_options(backend: str, options: dict | None, llm: LlmOptions | None = None) -> dict:
    """Explicit options win; missing ones come from ``llm``. Secret-looking keys are dropped so they never reach
    the run configuration, the checkpoint, the run store or a log (the client reads OPENAI_API_KEY itself)."""
    out = {k: v for k, v in (options or {}).items() if k not in _SECRET_NAMES and v is not None}
    llm = llm or LlmOptions()
    if backend in ("openai", "cascade") and llm.base_url:
        out.setdefault("base_url", llm.base_url)
    if backend == "openai" and llm.model:
        out.setdefault("model", llm.model)
    if backend == "local" and llm.local_model:
        out.setdefault("model_path", str(llm.local_model))
    if backend == "cascade" and llm.cascade:
        out.setdefault("stages", llm.cascade)
    if backend != "expert" and llm.reply_tokens:
        out.setdefault("max_reply_tokens", int(llm.reply_tokens))
    if backend in ("openai", "local", "cascade") and llm.grammar:
        out.setdefault("grammar", True)
    if backend == "local" and llm.draft:
        out.setdefault("draft", llm.draft)
    return out
