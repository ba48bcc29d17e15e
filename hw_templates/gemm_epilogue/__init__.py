"""GEMM with a fused epilogue: the GEMM array, requantiser and activation templates chained in one generated top
(the spec and golden model live in ``accelsmith.kinds.gemm_epilogue``); no Verilog of its own."""

from __future__ import annotations

from accelsmith.hw_templates._base import RtlBundle, pipeline_top, register_template
from accelsmith.hw_templates.activation._template import ActivationTemplate
from accelsmith.hw_templates.gemm._template import GemmTemplate
from accelsmith.hw_templates.requant._template import RequantTemplate
from accelsmith.kinds.gemm_epilogue import GemmEpilogueSpec


class GemmEpilogueTemplate:
    spec = GemmEpilogueSpec

    def render(self, spec: GemmEpilogueSpec) -> RtlBundle:
        if not isinstance(spec, GemmEpilogueSpec):
            raise TypeError(f"the gemm_epilogue template renders GemmEpilogueSpec, got {type(spec).__name__}")
        parts = [(GemmTemplate, spec.gemm), (RequantTemplate, spec.requant)]
        if spec.activation is not None:
            parts.append((ActivationTemplate, spec.activation))
        modules = [(t.module(s), s.ports()) for t, s in parts]
        g = spec.gemm
        top = f"gemm_epilogue_{g.rows}x{g.cols}{'_ws' if g.dataflow == 'weight_stationary' else ''}_top"
        files = {core.source: text for (core, text), _ in modules}
        files[f"{top}.v"] = pipeline_top(spec, top, [(core, ports) for (core, _), ports in modules])
        return RtlBundle(files=files, top=top)


register_template(GemmEpilogueTemplate())
