"""Stimulus for GemmEpilogueSpec: the GEMM's own cases (random jobs, operand extremes, overflow, the exact
schedule), expected outputs through the requantiser's and activation's golden models, latencies later by the
epilogue's register stages."""

from __future__ import annotations

import torch

from accelsmith.kinds.gemm_epilogue import GemmEpilogueSpec, epilogue_golden
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import LaneField, StreamPort, TestPlan
from accelsmith.verification.plans.gemm import derive_gemm


@register_deriver(GemmEpilogueSpec)
def derive_gemm_epilogue(spec: GemmEpilogueSpec) -> TestPlan:
    inner = derive_gemm(spec.gemm)
    extra = spec.epilogue_cycles
    cases = []
    for c in inner.cases:
        acc = torch.tensor([beat["data"] for beat in c.expected], dtype=torch.int64)
        y = epilogue_golden(acc, spec).tolist()
        cases.append(c.model_copy(update={
            "expected": [{"y": row} for row in y], "timeout_cycles": c.timeout_cycles + extra,
            "latency_cycles": None if c.latency_cycles is None else c.latency_cycles + extra}))
    ports = spec.ports()
    return TestPlan(
        kind=spec.kind, spec_hash=spec.spec_hash, seed=spec.seed, clock=ports["clock"], reset_n=ports["reset_n"],
        inp=StreamPort(valid=ports["in"]["valid"], ready=ports["in"]["ready"],
                       fields={k: LaneField(**v) for k, v in ports["in"]["fields"].items()}),
        out=StreamPort(valid=ports["out"]["valid"], ready=ports["out"]["ready"],
                       fields={k: LaneField(**v) for k, v in ports["out"]["fields"].items()}),
        cases=cases, ideal_job_cycles=inner.ideal_job_cycles,
        coverage={**inner.coverage, "activation": spec.activation is not None})
