"""Shared fixtures and simulator markers."""

from __future__ import annotations

import shutil

import pytest

from accelsmith.tools import tool_env

HAVE = {
    "verilator": shutil.which("verilator", path=tool_env()["PATH"]) is not None,
    "icarus": shutil.which("iverilog") is not None,
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("sim"):
            needs = item.callspec.params.get("sim") if hasattr(item, "callspec") else None
            for sim in ([needs] if needs in HAVE else list(HAVE)):
                if not HAVE[sim]:
                    item.add_marker(pytest.mark.skip(reason=f"{sim} not installed (CI installs it)"))
                    break


@pytest.fixture
def store(tmp_path):
    from accelsmith.runstore import RunStore

    return RunStore(tmp_path / "runs")
