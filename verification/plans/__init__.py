"""One module per block kind; each registers its deriver against the kind's spec class with
``@register_deriver(SpecClass)``.

Every module in this package is imported by ``derive`` so adding a kind needs no other edit.
"""

import importlib
import pkgutil


def load_all() -> None:
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
