"""Requantiser: spec (``RequantSpec``), Verilog (``requant.v``), golden model (``requant_golden``)."""

from accelsmith.hw_templates.requant._spec import RequantSpec
from accelsmith.hw_templates.requant._template import RequantTemplate
from accelsmith.hw_templates.requant.model import requant_golden

__all__ = ["RequantSpec", "RequantTemplate", "requant_golden"]
