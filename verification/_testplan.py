"""TestPlan: everything a generic bench needs to check a block, serialisable as JSON.

A plan is data only (stimulus beats, expected beats, protocol knobs); the bench never executes
generated code.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field


class LaneField(BaseModel):
    signal: str
    lanes: int
    bits: int
    signed: bool


class StreamPort(BaseModel):
    valid: str
    ready: str
    fields: dict[str, LaneField]


Beat = dict[str, list[int]]


class TestCase(BaseModel):
    name: str
    inputs: list[Beat]
    expected: list[Beat]
    in_bubble_prob: float = Field(0.0, ge=0.0, lt=1.0, description="chance an input beat is held back a cycle")
    out_stall_prob: float = Field(0.0, ge=0.0, lt=1.0, description="chance out_ready is low in a cycle")
    atol: int = Field(0, ge=0, description="allowed |got - expected| per lane (0: bit exact)")
    jobs: int = Field(1, ge=1)
    timeout_cycles: int = Field(..., ge=1)
    latency_cycles: int | None = Field(None, ge=1, description=(
        "the spec's schedule: every job's latency (first accepted input beat -> last output beat, inclusive) "
        "must equal this; set only on cases with no bubbles or stalls"))
    tags: list[str] = Field(default_factory=list)


class TestPlan(BaseModel):
    kind: str
    spec_hash: str
    seed: int
    clock: str
    reset_n: str
    inp: StreamPort
    out: StreamPort
    cases: list[TestCase]
    ideal_job_cycles: int | None = None
    coverage: dict[str, bool] = Field(default_factory=dict, description="goal -> exercised by some case")

    def save(self, path: Path) -> Path:
        path.write_text(self.model_dump_json())
        return path

    @classmethod
    def load(cls, path: Path) -> TestPlan:
        return cls.model_validate(json.loads(Path(path).read_text()))

    @property
    def plan_hash(self) -> str:
        import hashlib

        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]
