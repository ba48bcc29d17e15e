"""Expert-designed, parameterised Verilog for transformer blocks, with their specs and golden models.

``get(kind)`` returns the template for a block kind; ``render(spec)`` gives an ``RtlBundle``.
"""

from accelsmith.hw_templates._base import RtlBundle, Template, get, known_templates, register_template
from accelsmith.hw_templates.gemm import GemmSpec, gemm_golden


def _load_all() -> None:
    """Import every template subpackage: each registers its spec class and template."""
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(__path__):
        if mod.ispkg:
            importlib.import_module(f"{__name__}.{mod.name}")


_load_all()

__all__ = ["GemmSpec", "RtlBundle", "Template", "gemm_golden", "get", "known_templates", "register_template"]
