"""One small registry type for every name-keyed table of plug-ins: block kinds, templates, test-plan derivers,
LLM backends, simulators, compression handlers.

A lookup miss raises ``UnknownName`` listing the known names; a second registration under a taken name raises
``DuplicateRegistration``. Keys may be given as a name or as anything ``key`` maps to one (a spec class or a spec
instance maps to its ``kind``), so tables of a block kind are registered against the spec class and looked up by
class, instance or name alike. ``load`` runs once, before the first lookup, to import the plug-ins that register
themselves.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from accelsmith.errors import DuplicateRegistration, UnknownName

V = TypeVar("V")


def as_name(key: Any) -> str:
    """A registry key as its name: a string as is; a class or instance with a ``kind`` attribute, its kind."""
    if isinstance(key, str):
        return key
    kind = getattr(key, "kind", None)
    if isinstance(kind, str) and kind:
        return kind
    raise TypeError(f"a registry key is a name or has a non-empty 'kind'; got {key!r}")


def importing(*modules: str) -> Callable[[], None]:
    """A ``load`` for a registry whose plug-ins are modules that register themselves on import: the host module
    names them (so it does not import its own plug-ins, which import it)."""
    def load() -> None:
        for name in modules:
            importlib.import_module(name)
    return load


class Registry(Generic[V]):
    """Name -> value; ``what`` names the entries in messages ("block kind", "template", ...)."""

    def __init__(self, what: str, *, load: Callable[[], None] | None = None, key: Callable[[Any], str] = as_name):
        self.what = what
        self._entries: dict[str, V] = {}
        self._load, self._loading = load, False
        self._lock = threading.RLock()  # threads (a regression's workers) wait for one load; its own thread may nest
        self._key = key

    def _ensure_loaded(self) -> None:
        if self._load is None:
            return
        with self._lock:
            if self._load is not None and not self._loading:
                self._loading = True
                try:
                    self._load()
                    self._load = None
                finally:
                    self._loading = False

    def register(self, key: Any, value: V) -> V:
        """Add ``value`` under ``key``; a name already taken raises ``DuplicateRegistration``."""
        name = self._key(key)
        if name in self._entries and self._entries[name] is not value:
            raise DuplicateRegistration(f"{self.what} {name!r} is registered twice "
                                        f"({_origin(self._entries[name])} and {_origin(value)})")
        self._entries[name] = value
        return value

    def decorator(self, key: Any) -> Callable[[V], V]:
        """``@table.decorator(key)``: register the decorated object under ``key``."""
        return lambda value: self.register(key, value)

    def get(self, key: Any) -> V:
        self._ensure_loaded()
        name = self._key(key)
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownName(self.miss(name)) from None

    def miss(self, name: str) -> str:
        """The one-line message for a name this registry does not hold."""
        self._ensure_loaded()
        return f"unknown {self.what} {name!r}; known: {', '.join(self.names()) or '(none)'}"

    def names(self) -> list[str]:
        self._ensure_loaded()
        return sorted(self._entries)

    def items(self) -> list[tuple[str, V]]:
        self._ensure_loaded()
        return sorted(self._entries.items())

    def __contains__(self, key: Any) -> bool:
        self._ensure_loaded()
        try:
            return self._key(key) in self._entries
        except TypeError:
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self._entries)


def _origin(value: Any) -> str:
    obj = value if isinstance(value, type) or callable(value) else type(value)
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__name__)}"
