"""GEMM with a fused epilogue: the GEMM array, requantiser and activation templates chained in one generated top
(the spec and golden model live in ``accelsmith.kinds.gemm_epilogue``); no Verilog of its own."""

from __future__ import annotations

from pathlib import Path

from accelsmith.hw_templates._base import RtlBundle, pipeline_top, register_template
from accelsmith.hw_templates.activation._template import activation_core
from accelsmith.hw_templates.gemm._template import gemm_core
from accelsmith.hw_templates.requant._template import requant_core
from accelsmith.kinds.gemm_epilogue import GemmEpilogueSpec

_HERE = Path(__file__).parent.parent


class GemmEpilogueTemplate:
    spec = GemmEpilogueSpec

    def render(self, spec: GemmEpilogueSpec) -> RtlBundle:
        if not isinstance(spec, GemmEpilogueSpec):
            raise TypeError(f"the gemm_epilogue template renders GemmEpilogueSpec, got {type(spec).__name__}")
        stages = [(gemm_core(spec.gemm), spec.gemm.ports(), "gemm"), (requant_core(spec.requant),
                  spec.requant.ports(), "requant")]
        if spec.activation is not None:
            stages.append((activation_core(spec.activation), spec.activation.ports(), "activation"))
        g = spec.gemm
        top = f"gemm_epilogue_{g.rows}x{g.cols}{'_ws' if g.dataflow == 'weight_stationary' else ''}_top"
        files = {core.source: (_HERE / folder / core.source).read_text() for core, _, folder in stages}
        files[f"{top}.v"] = pipeline_top(spec, top, [(core, ports) for core, ports, _ in stages])
        return RtlBundle(files=files, top=top)


register_template(GemmEpilogueTemplate())
