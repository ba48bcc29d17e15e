"""Stimulus for DotSpec, plus the helpers every one-beat-in/one-beat-out kind shares."""

from __future__ import annotations

import random

import torch

from accelsmith.hw_templates.dot import DotSpec, dot_golden
from accelsmith.verification._derive import register_deriver
from accelsmith.verification._testplan import LaneField, StreamPort, TestCase, TestPlan

# (name, input bubble chance, output stall chance, tags)
PROTOCOL_MIXES = [("random", 0.3, 0.3, ["random"]), ("random_heavy_backpressure", 0.1, 0.8, ["random", "backpressure"])]


def value_range(bits: int, signed: bool) -> tuple[int, int]:
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def beat_case(name: str, inputs: list[dict], expected: list[dict], *, bubbles: float = 0.0, stalls: float = 0.0,
              tags: list[str] | None = None) -> TestCase:
    """One job per beat; the timeout allows 4x the slowest expected rate plus pipeline slack."""
    slow = 1.0 / ((1.0 - bubbles) * (1.0 - stalls))
    return TestCase(name=name, inputs=inputs, expected=expected, in_bubble_prob=bubbles, out_stall_prob=stalls,
                    jobs=len(inputs), timeout_cycles=int(len(inputs) * slow * 4) + 200, tags=tags or [])


def stream_testplan(spec, cases: list[TestCase], coverage: dict[str, bool]) -> TestPlan:
    ports = spec.ports()

    def port(p: dict) -> StreamPort:
        return StreamPort(valid=p["valid"], ready=p["ready"], fields={k: LaneField(**v) for k, v in p["fields"].items()})

    return TestPlan(kind=spec.kind, spec_hash=spec.spec_hash, seed=spec.seed, clock=ports["clock"],
                    reset_n=ports["reset_n"], inp=port(ports["in"]), out=port(ports["out"]), cases=cases,
                    coverage=coverage)


@register_deriver("dot")
def derive_dot(spec: DotSpec) -> TestPlan:
    rng = random.Random(spec.seed)
    lo, hi = value_range(spec.in_bits, spec.signed)
    L = spec.length

    def case(name: str, a: list[list[int]], b: list[list[int]], **kw) -> TestCase:
        d = dot_golden(torch.tensor(a), torch.tensor(b), spec).tolist()
        return beat_case(name, [{"a": x, "b": y} for x, y in zip(a, b)], [{"dot": [v]} for v in d], **kw)

    def rand(n: int) -> list[list[int]]:
        return [[rng.randint(lo, hi) for _ in range(L)] for _ in range(n)]

    cases = [case("all_max", [[hi] * L] * 2, [[hi] * L] * 2, tags=["corner"]),
             case("max_times_min", [[hi] * L] * 2, [[lo] * L] * 2, tags=["corner"]),
             case("one_hot_lanes", [[(i == j) * hi for j in range(L)] for i in range(L)],
                  [[(j + 1) % (hi + 1) for j in range(L)] for _ in range(L)], tags=["corner"]),
             case("zeros", [[0] * L] * 2, [[lo] * L] * 2, tags=["corner"])]
    cases += [case(n, rand(24), rand(24), bubbles=b, stalls=s, tags=t) for n, b, s, t in PROTOCOL_MIXES]
    cases.append(case("throughput", rand(32), rand(32), tags=["perf"]))
    return stream_testplan(spec, cases, {"operand_extremes": True, "lane_order": True, "backpressure": True})
