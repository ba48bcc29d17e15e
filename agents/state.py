"""Graph state: what a run has done (typed run data); list/dict fields merge through reducers so nodes return only
changes. What the run was asked to do is its configuration, ``agents.config.RunConfig``, passed beside the state."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict


def merge_dicts(left: dict, right: dict) -> dict:
    """Per-node cost accumulates: numbers add, anything else is replaced."""
    out = dict(left or {})
    for k, v in (right or {}).items():
        if isinstance(v, (int, float)) and isinstance(out.get(k), (int, float)):
            out[k] = out[k] + v
        else:
            out[k] = v
    return out


class DesignState(TypedDict, total=False):
    run_id: str
    run_dir: str
    spec: dict                      # spec.to_json()
    ppa: dict                       # what estimate measured
    plan: dict                      # what plan chose: template or from-scratch
    iteration: int
    top: str
    rtl: dict[str, str]             # file name -> text of the current iteration
    tried: list[str]                # fingerprints of every design checked so far (never checked twice)
    diagnostics: list[dict]         # current iteration's Diagnostic records
    bench: dict                     # current iteration's results per simulator
    feedback: dict | None           # structured feedback for the next draft
    history: Annotated[list[dict], operator.add]   # one record per iteration
    cost: Annotated[dict, merge_dicts]             # seconds per node, tokens
    status: str                     # running | verified | failed
    stop_reason: str                # verified | budget | unrecoverable | unsafe_rtl
    stop_detail: str                # which budget, or what could not be recovered
