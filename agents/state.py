"""Graph state: one TypedDict; list/dict fields merge through reducers so nodes return only changes."""

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
    backend: str
    backend_options: dict           # non-secret options (base URL, model, paths); keys come from env
    sim: str                        # primary simulator
    cross_check: list[str]          # further simulators that must agree
    max_iterations: int
    max_tokens: int                 # 0: no token budget (tokens in + out, all models)
    wall_clock_s: float             # 0: no wall-clock budget (sum of node seconds, survives resume)
    force_scratch: bool             # withhold the kind's template: draft from the spec alone
    waves: bool                     # cut a waveform window around the first mismatch for debug
    estimate: bool                  # synthesise a verified design (yosys) and record ppa.json
    ppa: dict                       # what estimate measured
    bench_timeout_s: float | None   # each simulation's limit (None: scaled with the design)
    limits: dict                    # lint_s / build_s / sim_s set by hand (None: scaled with the design)
    plan: dict                      # what plan chose: template or from-scratch
    iteration: int
    top: str
    rtl: dict[str, str]             # file name -> text of the current iteration
    diagnostics: list[dict]         # current iteration's Diagnostic records
    bench: dict                     # current iteration's results per simulator
    feedback: dict | None           # structured feedback for the next draft
    history: Annotated[list[dict], operator.add]   # one record per iteration
    cost: Annotated[dict, merge_dicts]             # seconds per node, tokens
    status: str                     # running | verified | failed
    stop_reason: str                # verified | budget | unrecoverable | unsafe_rtl
    stop_detail: str                # which budget, or what could not be recovered
