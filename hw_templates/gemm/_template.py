"""Renders a GemmSpec into the parameterised output- or weight-stationary array plus a fixed-parameter top."""

from __future__ import annotations

from accelsmith.errors import SpecError
from accelsmith.hw_templates._base import Core, VerilogTemplate, register_template
from accelsmith.kinds.gemm.spec import GemmSpec

# dataflow -> array module (file <module>.v beside this one)
_ARRAYS = {"output_stationary": "gemm_os", "weight_stationary": "gemm_ws"}


def gemm_core(spec: GemmSpec) -> Core:
    if spec.dataflow not in _ARRAYS:
        raise SpecError(f"dataflow {spec.dataflow!r} has no template; available: {', '.join(map(repr, _ARRAYS))}")
    top = f"gemm_{spec.rows}x{spec.cols}{'_ws' if spec.dataflow == 'weight_stationary' else ''}_top"
    params = {"ROWS": spec.rows, "COLS": spec.cols, "K": spec.k, "IW": spec.in_bits, "AW": spec.acc_bits,
              "SIGNED": int(spec.signed), "SATURATE": int(spec.overflow == "saturate")}
    # output-stationary: accumulator banks; weight-stationary: rows of A per job
    params |= {"M": spec.job_rows} if spec.dataflow == "weight_stationary" else {"BANKS": spec.acc_banks}
    return Core(top, _ARRAYS[spec.dataflow], params,
        widths={"in_a": "ROWS*IW", "in_b": "COLS*IW", "out_data": "COLS*AW"})


GemmTemplate = register_template(VerilogTemplate(GemmSpec, gemm_core,
                                                   default=lambda s: GemmSpec(dataflow=s.dataflow)))
