"""Residual add: the Verilog template (the spec and golden model live in ``accelsmith.kinds.add``)."""

from accelsmith.hw_templates._base import Core, VerilogTemplate, register_template
from accelsmith.kinds.add import AddSpec


def add_core(spec: AddSpec) -> Core:
    return Core(f"add_{spec.lanes}l_top", "add", {"LANES": spec.lanes, "IW": spec.in_bits, "OW": spec.out_bits,
                                                  "SIGNED": int(spec.signed), "SATURATE": int(spec.overflow == "saturate")},
                widths={"in_a": "LANES*IW", "in_b": "LANES*IW", "out_y": "LANES*OW"})


AddTemplate = register_template(VerilogTemplate(AddSpec, add_core))

__all__ = ["AddTemplate"]
