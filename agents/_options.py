"""Backend and run options from explicit values or the environment; secrets are never kept."""

from __future__ import annotations

import os

from accelsmith.agents._env import (ENV_BASE_URL, ENV_FORCE_SCRATCH, ENV_LOCAL_MODEL,  # noqa: F401
                                    ENV_MAX_TOKENS, ENV_MODEL, ENV_REPLY_TOKENS, ENV_STAGES, ENV_WALL_CLOCK,
                                    ENV_WAVES)
_SECRET_NAMES = {"api_key", "key", "password", "secret"}


def resolve_backend_options(backend: str, options: dict | None) -> dict:
    """Explicit options win; missing ones come from the environment. Secret-looking keys are dropped so
    they never reach the checkpoint, the run store or a log (the client reads OPENAI_API_KEY itself)."""
    out = {k: v for k, v in (options or {}).items() if k not in _SECRET_NAMES and v is not None}
    env = os.environ
    if backend in ("openai", "cascade"):
        if env.get(ENV_BASE_URL):
            out.setdefault("base_url", env[ENV_BASE_URL])
    if backend == "openai" and env.get(ENV_MODEL):
        out.setdefault("model", env[ENV_MODEL])
    if backend == "local" and env.get(ENV_LOCAL_MODEL):
        out.setdefault("model_path", env[ENV_LOCAL_MODEL])
    if backend == "cascade" and env.get(ENV_STAGES):
        out.setdefault("stages", env[ENV_STAGES])
    if backend != "expert" and env.get(ENV_REPLY_TOKENS):
        out.setdefault("max_reply_tokens", int(env[ENV_REPLY_TOKENS]))
    return out


def run_options_from_env() -> dict:
    env = os.environ
    return {"max_tokens": int(env.get(ENV_MAX_TOKENS) or 0),
            "wall_clock_s": float(env.get(ENV_WALL_CLOCK) or 0),
            "force_scratch": env.get(ENV_FORCE_SCRATCH, "").lower() in ("1", "true", "yes"),
            "waves": env.get(ENV_WAVES, "1").lower() not in ("0", "false", "no")}
