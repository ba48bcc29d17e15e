"""Fixtures for the agent tests: a real scripted OpenAI-compatible server and a run helper."""

from __future__ import annotations

import pytest

from accelsmith.agents import design


@pytest.fixture
def run_design(store, monkeypatch):
    """Run the design graph against a scripted server on Icarus (fast builds), no waves unless asked."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-123")

    def _run(server, spec, **kw):
        opts = {"base_url": server.base_url, "model": kw.pop("model", "small-coder"), "backoff_s": 0.01}
        opts.update(kw.pop("backend_options", {}))
        kw.setdefault("waves", False)
        kw.setdefault("shell", False)  # the scripted replies are whole streaming designs (test_shell: the core alone)
        return design(spec, store=store, backend=kw.pop("backend", "openai"), sim="icarus", cross_check=[],
                      backend_options=opts, **kw)

    return _run
