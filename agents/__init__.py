"""The design graph: plan -> draft -> check -> verify -> debug -> report, with pluggable LLM backends."""

from accelsmith.agents import _cascade, _llm  # noqa: F401  (register the openai, local, cascade backends)
from accelsmith.agents._backends import Backend, Draft, get_backend, known_backends, register_backend
from accelsmith.agents._run import design, resume
from accelsmith.agents.graph import NODES, build_graph

__all__ = ["NODES", "Backend", "Draft", "build_graph", "design", "get_backend", "known_backends",
           "register_backend", "resume"]
