"""Renders an ActivationSpec: the fixed pipeline module plus a top holding the spec's table as a case."""

from __future__ import annotations

from accelsmith.hw_templates._base import Core, VerilogTemplate, lane_luts, lookup_function, register_template
from accelsmith.kinds.activation.model import codes, table
from accelsmith.kinds.activation.spec import ActivationSpec


def activation_core(spec: ActivationSpec) -> Core:
    ib, ob = spec.in_bits, spec.out_bits
    says = f"act_table(x) = round({spec.function}(x / 2^{spec.in_frac}) * 2^{spec.out_frac}), clamped to {ob} bits"
    body = lookup_function("act_table", ib, ob, zip(codes(spec).tolist(), table(spec).tolist()), says)
    return Core(f"{spec.function}_{spec.lanes}l_top", "activation", {"LANES": spec.lanes, "IW": ib, "OW": ob},
                body=f"{body}\n{lane_luts('act_table', spec.lanes, ib, ob)}\n",
                extra={"lut_in": "lut_in", "lut_out": "lut_out"}, widths={"in_data": "LANES*IW", "out_data": "LANES*OW"},
                ports=("output [LANES*IW-1:0] lut_in", "input [LANES*OW-1:0] lut_out"))


ActivationTemplate = register_template(VerilogTemplate(ActivationSpec, activation_core))
