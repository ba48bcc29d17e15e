"""Spec -> testbench: test plans, the generic cocotb bench, simulators, lint, the security scan, PPA."""

from accelsmith.verification._derive import derive, register_deriver
from accelsmith.verification._lint import lint, lint_pyslang, lint_verilator, parse_tool_output
from accelsmith.verification._ppa import ppa
from accelsmith.verification._security import check_rtl, scan_rtl
from accelsmith.verification._sim import (
    DEFAULT_SIMULATOR,
    BenchResult,
    get_simulator,
    known_simulators,
    run_bench,
)
from accelsmith.verification._testplan import TestCase, TestPlan

__all__ = [
    "DEFAULT_SIMULATOR", "BenchResult", "TestCase", "TestPlan", "check_rtl", "derive", "get_simulator",
    "known_simulators", "lint", "lint_pyslang", "lint_verilator", "parse_tool_output", "ppa", "register_deriver",
    "run_bench", "scan_rtl",
]
