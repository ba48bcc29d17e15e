"""The built-in block kinds: each subpackage holds one kind's spec class (registered on import) and its golden
model. Templates (``accelsmith.hw_templates``) and test-plan derivers (``accelsmith.verification.plans``) are
registered against these classes from their own packages; the core imports neither."""

from __future__ import annotations


def load_all() -> None:
    """Import every kind subpackage (each registers its spec class)."""
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(__path__):
        if mod.ispkg or not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
