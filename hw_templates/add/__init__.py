"""Residual add: the Verilog template (the spec and golden model live in ``accelsmith.kinds.add``)."""

from accelsmith.hw_templates._base import Core, VerilogTemplate, register_template
from accelsmith.kinds.add import AddSpec


class AddTemplate(VerilogTemplate):
    spec = AddSpec
    package_file = __file__

    def top_name(self, spec: AddSpec) -> str:
        return f"add_{spec.lanes}l_top"

    def core(self, spec: AddSpec) -> Core:
        return Core("add", "add.v", {"LANES": spec.lanes, "IW": spec.in_bits, "OW": spec.out_bits,
                                     "SIGNED": int(spec.signed), "SATURATE": int(spec.overflow == "saturate")})


register_template(AddTemplate())

__all__ = ["AddTemplate"]
