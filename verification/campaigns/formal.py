"""The handshake proof of a template instance: render the spec's template, prove it with the judge's
``prove_rtl`` (see ``accelsmith.verification._formal`` for the properties, assumptions and verdicts)."""

from __future__ import annotations

from pathlib import Path

from accelsmith.spec import BlockSpec
from accelsmith.verification._formal import prove_rtl


def prove_handshake(spec: BlockSpec, workdir: Path, *, depth: int = 20, timeout_s: float = 120.0) -> dict:
    """Render ``spec``'s template and prove its output handshake (see the module docstring for the verdicts)."""
    from accelsmith import hw_templates

    bundle = hw_templates.get(spec.kind).render(spec)
    return {"kind": spec.kind} | prove_rtl(bundle, spec.ports(), workdir, depth=depth, timeout_s=timeout_s,
                                           label=spec.label)
