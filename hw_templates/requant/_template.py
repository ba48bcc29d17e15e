"""Renders a RequantSpec into the parameterised requantiser plus a fixed-parameter top."""

from __future__ import annotations

from accelsmith.hw_templates._base import Core, VerilogTemplate, packed_literal, register_template
from accelsmith.kinds.requant.spec import RequantSpec


class RequantTemplate(VerilogTemplate):
    spec = RequantSpec
    package_file = __file__

    def top_name(self, spec: RequantSpec) -> str:
        return f"requant_{spec.lanes}l_top"

    def core(self, spec: RequantSpec) -> Core:
        params = spec.lane_params()
        return Core("requant", "requant.v", {
            "LANES": spec.lanes, "IW": spec.in_bits, "OW": spec.out_bits, "GROUPS": spec.groups,
            "MULTS": packed_literal([m for m, _ in params], 32), "SHIFTS": packed_literal([s for _, s in params], 6),
            "ZP": spec.zero_point, "HALF_EVEN": int(spec.rounding == "half_even"), "SATURATE": int(spec.saturation)})


register_template(RequantTemplate())
