"""Renders a RequantSpec into the parameterised requantiser plus a fixed-parameter top."""

from __future__ import annotations

from accelsmith.hw_templates._base import Core, VerilogTemplate, packed_literal, register_template
from accelsmith.kinds.requant.spec import RequantSpec


def requant_core(spec: RequantSpec) -> Core:
    params = spec.lane_params()
    return Core(f"requant_{spec.lanes}l_top", "requant", {
        "LANES": spec.lanes, "IW": spec.in_bits, "OW": spec.out_bits, "GROUPS": spec.groups,
        "MULTS": packed_literal([m for m, _ in params], 32), "SHIFTS": packed_literal([s for _, s in params], 6),
        "ZP": spec.zero_point, "HALF_EVEN": int(spec.rounding == "half_even"), "SATURATE": int(spec.saturation)},
        widths={"in_data": "LANES*IW", "out_data": "LANES*OW"},
        ranges={"MULTS": "[GROUPS*LANES*32-1:0]", "SHIFTS": "[GROUPS*LANES*6-1:0]"})


RequantTemplate = register_template(VerilogTemplate(RequantSpec, requant_core))
