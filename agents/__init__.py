"""The design graph: plan -> draft -> check -> verify -> debug -> [estimate] -> report, with pluggable
LLM backends (expert, openai, local, cascade).

Names load on first use, so importing a light submodule (the CLI's option names) stays cheap.
"""

import importlib

_EXPORTS = {
    "Backend": "_backends", "Draft": "_backends", "get_backend": "_backends", "known_backends": "_backends",
    "register_backend": "_backends", "design": "_run", "resume": "_run", "NODES": "graph", "build_graph": "graph",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
