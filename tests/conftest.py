"""Shared fixtures and simulator markers."""

from __future__ import annotations

import os
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


# Ray (campaigns with --ray-address) on loopback only: it then binds and advertises 127.0.0.1; read at import
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"


@pytest.fixture(scope="module")
def ray_cluster():
    """A real Ray cluster on this machine: a head node and one worker node (one CPU each, small object stores).
    Yields (cluster, worker node)."""
    ray = pytest.importorskip("ray", reason="Ray is in the test extras (scripts/setup.sh --test installs it)")
    from ray.cluster_utils import Cluster

    node = {"num_cpus": 1, "object_store_memory": 80 << 20}
    c = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    worker = c.add_node(**node)
    c.wait_for_nodes()
    assert c.address.startswith("127.0.0.1:")
    yield c, worker
    ray.shutdown()
    c.shutdown()
