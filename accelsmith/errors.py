"""Domain exceptions. Each carries a one-line, actionable message."""

from __future__ import annotations


class AccelsmithError(Exception):
    """Base of every error accelsmith raises on purpose."""


class SpecError(AccelsmithError, ValueError):
    """A block spec (YAML or dict) is malformed or out of range."""


class UnknownName(AccelsmithError, ValueError):
    """A name no registry holds (a block kind, template, deriver, backend, simulator, tier, ...); the message
    lists the known ones."""


class DuplicateRegistration(AccelsmithError, TypeError):
    """A second registration under a name a registry already holds (two plug-ins claiming one kind)."""


class UsageError(AccelsmithError, ValueError):
    """An input file or option (RTL files, a designs list, a depth, a reviewed-equivalents file) cannot be used as
    given."""


class ConfigError(AccelsmithError, ValueError):
    """A run configuration (backend, its options, budgets, simulators) is malformed or unreadable."""


class UnsafeRTL(AccelsmithError):
    """Generated RTL failed the security scan; no tool was allowed to see it."""


class ToolMissing(AccelsmithError):
    """An external tool (simulator, linter, synthesiser) is not installed."""


class StoreError(AccelsmithError):
    """The run store cannot be used as asked: a bad id, a corrupt or unwritable index or folder, a full disk."""
