"""Campaigns on a real Ray cluster (a head and a worker node started on this machine, loopback only): a regression
and a mutation campaign give the same results and folders as local runs; a task whose worker dies is run again;
Ctrl-C keeps what finished; without an address Ray is never imported; a bad address is one line."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time

import pytest

from accelsmith.errors import UsageError
from accelsmith.fanout import ROOT, Interrupted, fan_out

ray = pytest.importorskip("ray", reason="Ray is in the test extras (scripts/setup.sh --test installs it)")
pytestmark = pytest.mark.timeout(300)  # a cluster that stops answering fails the test instead of hanging it


@pytest.fixture(scope="module")
def cluster(ray_cluster):
    return ray_cluster


def _rows(results: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in results]


@pytest.mark.sim
def test_regress_on_ray_matches_a_local_run(cluster, tmp_path):
    from accelsmith.verification.campaigns.regress import regress

    c, _ = cluster
    seen = []
    on_ray = regress(kinds=["add"], sims=["icarus"], workdir=tmp_path / "ray", junit=tmp_path / "ray.xml",
                     ray_address=c.address, progress=seen.append)
    local = regress(kinds=["add"], sims=["icarus"], workdir=tmp_path / "local", jobs=2)
    assert on_ray["runs"] == local["runs"] == 4 and on_ray["failed"] == local["failed"] == 0
    assert _rows(on_ray["results"]) == _rows(local["results"])
    assert sorted(r["name"] for r in seen) == sorted(r["name"] for r in local["results"])
    # every run's folder came back from its worker, with the bench's results in it
    for r in local["results"]:
        for f in ("results.xml", "sim.log", "plan.json"):
            assert (tmp_path / "ray" / f"{r['name']}_icarus" / "bench" / f).is_file()


@pytest.mark.sim
def test_mutation_on_ray_matches_a_local_run(cluster, tmp_path):
    from accelsmith.kinds.add import AddSpec
    from accelsmith.verification.campaigns.mutate import mutate

    c, _ = cluster
    spec = AddSpec(lanes=2, in_bits=4, out_bits=4)
    on_ray = mutate(spec, max_mutants=10, prove=False, workdir=tmp_path / "ray", ray_address=c.address)
    local = mutate(spec, max_mutants=10, prove=False, workdir=tmp_path / "local", jobs=2)
    same = {k: v for k, v in local.items() if k != "seconds"}
    assert local["mutants"] == 10 and local["killed"] > 0
    assert {k: v for k, v in on_ray.items() if k != "seconds"} == same


def test_a_task_whose_worker_dies_is_run_again(cluster, tmp_path):
    """Each attempt notes its node in a log on this machine; the worker node is removed while its task sleeps, and
    Ray runs that task again on the head node: the log shows an attempt on the worker, the results all come from
    the head."""
    c, worker = cluster
    log = tmp_path / "attempts.log"

    def attempt(seconds: float, folder) -> str:
        import time as t

        node = ray.get_runtime_context().get_node_id()
        with open(log, "a") as f:
            f.write(node + "\n")
        (folder / "out.txt").write_text(node)
        t.sleep(seconds)
        return node

    def lose_the_worker():
        while worker.node_id not in (log.read_text() if log.exists() else ""):
            time.sleep(0.2)
        c.remove_node(worker, allow_graceful=False)

    killer = threading.Thread(target=lose_the_worker, daemon=True)
    killer.start()
    try:
        nodes = fan_out(attempt, [(6.0, ROOT), (6.0, ROOT)], tmp_path / "out", ray_address=c.address)
    finally:
        killer.join(timeout=60)
        c.add_node(num_cpus=1, object_store_memory=80 << 20)
        c.wait_for_nodes()
    head = c.head_node.node_id
    assert worker.node_id in log.read_text().split()
    assert nodes == [head, head] and len(log.read_text().split()) == 3
    assert (tmp_path / "out" / "out.txt").read_text() == head


def test_ctrl_c_cancels_what_is_left_and_keeps_what_finished(cluster, tmp_path):
    c, _ = cluster

    def nap(seconds: float) -> float:
        import time as t

        t.sleep(seconds)
        return seconds

    def stop_after_first(result):
        raise KeyboardInterrupt

    for address, long in ((c.address, 60.0), (None, 2.0)):
        t0 = time.monotonic()
        with pytest.raises(Interrupted, match=r"interrupted: 1 of 4 units finished") as err:
            fan_out(nap, [(0.1,), (long,), (long,), (long,)], tmp_path, jobs=1, ray_address=address,
                    progress=stop_after_first)
        assert err.value.done == [0.1, None, None, None]
        assert time.monotonic() - t0 < 30  # the Ray tasks were cancelled, not waited for


def test_dataflow_search_as_ray_tasks_matches_a_local_search(cluster):
    from accelsmith.model_opt import GemmOp, WorkloadProfile
    from accelsmith.model_opt._dataflow import Budget, search_profile

    c, _ = cluster
    g = GemmOp(name="proj", op="linear", m=32, n=64, k=64, a_bits=8, w_bits=8)
    profile = WorkloadProfile(model="tiny", model_type="bert", seq_len=32, hidden_size=64, act_bits=8, gemms=[
        g, g.model_copy(update={"name": "proj2"}),
        GemmOp(name="qk", op="attention_qk", m=32, n=32, k=16, count=4, a_bits=8, w_bits=8)])
    budget = Budget(rows=8, cols=8, sram_bytes=8192, dram_bytes_per_cycle=16)
    seen = []
    on_ray = search_profile(profile, budget, ray_address=c.address, progress=lambda i, n, name: seen.append((i, n)))
    assert on_ray == search_profile(profile, budget) and sorted(seen) == [(1, 2), (2, 2)]


def test_without_an_address_ray_is_not_imported():
    code = ("import sys; from accelsmith.fanout import fan_out; from accelsmith.verification.campaigns.regress "
            "import regress; import accelsmith.verification.campaigns.mutate; "
            "print(fan_out(pow, [(2, 3), (3, 2)], __import__('tempfile').mkdtemp())); print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[8,", "9]", "False"]


def test_an_address_with_no_cluster_is_one_line(tmp_path):
    for address, says in (("127.0.0.1:9", "Connection refused"), ("nowhere", "not HOST:PORT, ray://HOST:PORT or auto")):
        with pytest.raises(UsageError, match=f"^cannot join the Ray cluster at '{address}': .*{says}"):
            fan_out(pow, [(2, 3)], tmp_path, ray_address=address)


@pytest.mark.sim
def test_ctrl_c_on_the_command_line_keeps_the_finished_runs(cluster, tmp_path):
    """SIGINT to `accelsmith regress --ray-address` after its first finished run: the rest is cancelled, the
    command says how many finished in one line, and the JUnit file holds the finished runs."""
    import signal

    c, _ = cluster
    junit = tmp_path / "r.xml"
    proc = subprocess.Popen([sys.executable, "-m", "accelsmith.cli", "regress", "--kinds", "add,requant,activation",
                             "--ray-address", c.address, "--junit", str(junit)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    assert first.startswith("  PASS "), first
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    line = [ln for ln in err.splitlines() if "interrupted:" in ln]
    assert len(line) == 1 and re.search(r"interrupted: (\d+) of 16 units finished", line[0]), err
    finished = int(re.search(r"interrupted: (\d+) of", line[0]).group(1))
    assert 1 <= finished < 16
    import xml.etree.ElementTree as ET

    assert len(ET.parse(junit).getroot().findall("testsuite")) == finished


def test_units_that_write_need_a_root():
    with pytest.raises(ValueError, match="names ROOT but no root folder"):
        fan_out(pow, [(ROOT, 2)], None)
    assert fan_out(pow, [(2, 5)], None) == [32]
