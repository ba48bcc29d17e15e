"""Renders a SoftmaxSpec: the fixed four-stage module plus a top holding the spec's exp table as a case (one copy
per lane and table port)."""

from __future__ import annotations

from accelsmith.hw_templates._base import Core, VerilogTemplate, lane_luts, lookup_function, register_template
from accelsmith.kinds.softmax.model import LOG2E, exp_table
from accelsmith.kinds.softmax import GUARD_BITS, LOG2E_BITS, SoftmaxSpec


def softmax_core(spec: SoftmaxSpec) -> Core:
    fb, eb = spec.exp_table_bits, spec.exp_bits
    body = lookup_function("exp_table", fb, eb + 1, enumerate(exp_table(spec)),
                           f"exp_table(j) = round(2^(-j / 2^{fb}) * 2^{eb})")
    return Core(f"softmax_{spec.length}x{spec.lanes}l_top", "softmax", {
        "P": spec.lanes, "NB": spec.beats, "IW": spec.in_bits, "IF": spec.in_frac, "OW": spec.out_bits,
        "OF": spec.out_frac, "FB": fb, "EB": eb, "CB": LOG2E_BITS, "LOG2E": LOG2E, "G": GUARD_BITS,
        "NS": spec.vectors_in_flight, "U": spec.div_bits_per_cycle, "LP": spec.table_ports},
        body=f"{body}\n{lane_luts('exp_table', spec.lanes * spec.table_ports, fb, eb + 1)}\n",
        extra={"lut_in": "lut_in", "lut_out": "lut_out"}, widths={"in_data": "P*IW", "out_data": "P*OW"},
        ports=("output [LP*P*FB-1:0] lut_in", "input [LP*P*(EB+1)-1:0] lut_out"))


SoftmaxTemplate = register_template(VerilogTemplate(SoftmaxSpec, softmax_core))
