"""Expert-designed, parameterised Verilog for transformer blocks, with their specs and golden models.

``get(kind)`` returns the template for a block kind; ``render(spec)`` gives an ``RtlBundle``.
"""

from accelsmith.hw_templates._base import RtlBundle, Template, get, known_templates, register_template
from accelsmith.hw_templates.gemm import GemmSpec, gemm_golden

__all__ = ["GemmSpec", "RtlBundle", "Template", "gemm_golden", "get", "known_templates", "register_template"]
