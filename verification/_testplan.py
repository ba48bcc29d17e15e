"""TestPlan: everything a generic bench needs to check a block, serialisable as JSON.

A plan is data only (stimulus beats, expected beats, protocol knobs); the bench never executes
generated code.
"""

from __future__ import annotations

import json
from pathlib import Path

from typing import Literal

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
    source_gap_cycles: int = Field(0, ge=0, description=(
        "when > 0, the source idles before the last input beat of every job: this many cycles before the jobs "
        "0, 2, 4, ..., a random 1..this many before the others (a long idle run while a job is open)"))
    out_stall_prob: float = Field(0.0, ge=0.0, lt=1.0, description="chance out_ready is low in a cycle")
    atol: int = Field(0, ge=0, description="allowed |got - expected| per lane (0: bit exact)")
    jobs: int = Field(1, ge=1)
    timeout_cycles: int = Field(..., ge=1)
    latency_cycles: int | None = Field(None, ge=1, description=(
        "the spec's schedule: every job's latency (first accepted input beat -> last output beat, inclusive) "
        "must equal this; set only on cases with no bubbles or stalls"))
    tags: list[str] = Field(default_factory=list)
    sink: Literal["random", "after_valid", "bursts", "ready", "long_stalls"] = Field("random", description=(
        "how the bench drives out_ready: random (out_stall_prob), after_valid (ready rises only the cycle after "
        "valid is seen: a design whose valid waits for ready deadlocks), bursts (4 cycles ready, 3 not), ready "
        "(always), long_stalls (ready for 1 to 3 cycles, then low for 20 to 60)"))
    idle_bus: Literal["random", "x"] = Field("random", description=(
        "what the input data bus carries while in_valid is low: random junk, or all X (4-state simulators)"))
    pre_reset_inputs: list[Beat] = Field(default_factory=list, description=(
        "beats fed (their outputs unchecked) before a reset in the middle of the case; the design must then "
        "produce exactly ``expected`` for ``inputs``"))
    reset_delay_cycles: int = Field(0, ge=0, description="cycles after the last pre-reset beat is taken before reset")
    reset_after_output_beats: int = Field(0, ge=0, description=(
        "when > 0, the mid-case reset comes instead the cycle after this many output beats of the pre-reset work "
        "were taken (a random sink), so it lands while a result is being drained; ``reset_delay_cycles`` is unused"))
    rate_ii_cycles: float | None = Field(None, gt=0, description=(
        "the spec's initiation interval (cycles per job, back to back; see accelsmith.spec.Rate): the span from the "
        "first accepted input beat to the last output beat must be at most rate_first_job_cycles + "
        "ceil((jobs - 1) * rate_ii_cycles) plus one cycle per cycle the bench withheld an input beat or out_ready"))
    rate_first_job_cycles: int | None = Field(None, ge=1, description=(
        "the first job's cycles in that rule; None: the rule runs from the first job's last output beat"))

    def first_jobs(self, n: int) -> TestCase:
        """This case cut to its first ``n`` jobs (the timeout shrinks with them)."""
        if n >= self.jobs:
            return self
        n_in, n_out = len(self.inputs) // self.jobs * n, len(self.expected) // self.jobs * n
        return self.model_copy(update={"inputs": self.inputs[:n_in], "expected": self.expected[:n_out], "jobs": n,
                                       "timeout_cycles": max(200, -(-self.timeout_cycles * n // self.jobs) + 200)})


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

    def reduced(self, max_jobs: int = 2, keep_tags: tuple[str, ...] = ("corner", "schedule", "overflow"),
                drop_tags: tuple[str, ...] = ("perf",)) -> TestPlan:
        """The cross-check plan for a slow second simulator: every case tagged ``keep_tags`` whole (every corner
        kept), every other case cut to its first ``max_jobs`` jobs (two jobs still cross a double-buffered bank),
        cases tagged only ``drop_tags`` (throughput measurements) left out; of the protocol cases (sinks, resets,
        the long train) only those tagged ``cross_check`` (X on the idle bus, a reset mid-drain), one job each. Cut cases keep their per-job rate: the timeout shrinks with the jobs."""
        cases = []
        for c in self.cases:
            tags = set(c.tags)
            if "protocol" in tags:  # the full run has them all; one job of those marked for it shows a 4-state difference
                if "cross_check" in tags:
                    cases.append(c.first_jobs(1))
                continue
            if tags & set(keep_tags) or c.jobs <= max_jobs:
                cases.append(c)
                continue
            if tags and tags <= set(drop_tags):
                continue
            cases.append(c.first_jobs(max_jobs))
        return self.model_copy(update={"cases": cases, "coverage": {**self.coverage, "reduced_cross_check": True}})

    @property
    def plan_hash(self) -> str:
        import hashlib

        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]
