"""Expert-designed, parameterised Verilog for transformer blocks: one template per block kind, registered against
the kind's spec class (``accelsmith.kinds``).

``get(kind or spec)`` returns the template; ``render(spec)`` gives an ``RtlBundle``.
"""

from accelsmith.hw_templates._base import Template, get, known_templates, register_template
from accelsmith.rtl import RtlBundle

__all__ = ["RtlBundle", "Template", "get", "known_templates", "register_template"]
