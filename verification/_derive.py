"""``derive(spec) -> TestPlan``: one stimulus generator per block kind, registered by decorator."""

from __future__ import annotations

from collections.abc import Callable

from accelsmith.spec import BlockSpec
from accelsmith.verification._testplan import TestPlan

_DERIVERS: dict[str, Callable[[BlockSpec], TestPlan]] = {}


def register_deriver(kind: str):
    def deco(fn: Callable[[BlockSpec], TestPlan]) -> Callable[[BlockSpec], TestPlan]:
        _DERIVERS[kind] = fn
        return fn

    return deco


def derive(spec: BlockSpec) -> TestPlan:
    """Derive the test plan for a spec; seeded from the spec hash, so the same spec gives the same plan."""
    from accelsmith.verification.plans import load_all

    load_all()

    try:
        fn = _DERIVERS[spec.kind]
    except KeyError:
        raise ValueError(f"no testbench deriver for kind {spec.kind!r}; known: {', '.join(sorted(_DERIVERS))}") from None
    return fn(spec)
