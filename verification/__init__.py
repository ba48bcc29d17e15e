"""Spec -> testbench: test plans, the generic cocotb bench, simulators, lint, the security scan, PPA.

The names below load on first use (PEP 562): the cocotb bench (``accelsmith.verification.testbench``) is
imported inside every simulator process, and an eager import here would pull in the templates' torch
golden models there, which cost ~10 s of start-up per bench run under Icarus.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "BuildOptions": "_build", "DEFAULT_BUILD": "_build", "LEGACY_BUILD": "_build",
    "derive": "_derive", "register_deriver": "_derive",
    "lint": "_lint", "lint_pyslang": "_lint", "lint_verilator": "_lint", "parse_tool_output": "_lint",
    "ppa": "_ppa",
    "check_rtl": "_security", "guard": "_security", "refusals": "_security", "scan_preprocessed": "_security", "scan_rtl": "_security",
    "DEFAULT_SIMULATOR": "_sim", "BenchResult": "_sim", "get_simulator": "_sim", "known_simulators": "_sim",
    "run_bench": "_sim",
    "TestCase": "_testplan", "TestPlan": "_testplan",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
