"""Wiring only: plan -> draft -> check -> verify -> (debug -> draft)* -> [estimate] -> report."""

from __future__ import annotations

from langgraph.graph import START, StateGraph

from accelsmith.agents import nodes
from accelsmith.agents.state import DesignState

# The order of the pass, declared once (routing inside the nodes follows it).
NODES = ("plan", "draft", "check", "verify", "debug", "estimate", "report")


def build_graph(checkpointer=None):
    g = StateGraph(DesignState)
    for name in NODES:
        g.add_node(name, getattr(nodes, name))
    g.add_edge(START, "plan")
    return g.compile(checkpointer=checkpointer)
