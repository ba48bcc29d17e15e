"""Renders an AttentionSpec: the parameterised tile plus a top fixing its widths, exp constants and table."""

from __future__ import annotations

from accelsmith.hw_templates._base import Core, VerilogTemplate, packed_literal, register_template
from accelsmith.kinds.attention.model import exp_constants, exp_table, l_bits, score_bits, shift_bits
from accelsmith.kinds.attention.spec import AttentionSpec


def attention_core(spec: AttentionSpec) -> Core:
    mult, sh = exp_constants(spec)
    rows = f"_r{spec.query_rows}" if spec.query_rows > 1 else ""
    return Core(f"attention_d{spec.head_dim}_b{spec.kv_block}_s{spec.seq_len}{rows}_top", "attention", {
        "D": spec.head_dim, "B": spec.kv_block, "S": spec.seq_len, "R": spec.query_rows, "SW": score_bits(spec),
        "LW": l_bits(spec),
        "PB": spec.prob_bits, "EF": spec.exp_frac_bits, "SB": shift_bits(spec), "SH": sh, "MULT": f"17'd{mult}",
        "EXP_TABLE": packed_literal(exp_table(spec), spec.prob_bits + 1)},
        widths={"in_a": "D*8", "in_b": "D*8", "out_data": "D*8"},
        ranges={"MULT": "[16:0]", "EXP_TABLE": "[(1<<EF)*(PB+1)-1:0]"})


AttentionTemplate = register_template(VerilogTemplate(AttentionSpec, attention_core))
