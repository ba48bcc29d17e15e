"""One module per block kind; each registers its deriver with ``@register_deriver(kind)``.

Every module in this package is imported by ``derive`` so adding a kind needs no other edit.
"""

import importlib
import pkgutil


def load_all() -> None:
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
