"""The same regression grid and mutation campaign four ways, side by side: local with 1 and 2 parallel jobs, and as
Ray tasks on a local cluster with 1 and 2 worker nodes (one CPU each; the head node takes no tasks). Prints wall
times, whether every result equals the local 1-job run's, and Ray's cost per task (no-op tasks, and the campaigns'
wall time against the local run with the same parallelism).

    .venv/bin/python bench/ray_campaigns.py [--kinds add,requant,activation,gemm] [--mutate requant --max 40]

Builds are not cached (ACCELSMITH_BUILD_CACHE=off) so every mode builds what it simulates; give it the machine.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from pathlib import Path

os.environ["ACCELSMITH_BUILD_CACHE"] = "off"          # every mode builds; workers inherit it
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # loopback only


def regress_rows(report: dict, work: Path) -> list:
    return [{k: str(v).replace(str(work), "WORK") for k, v in r.items() if k != "seconds"} for r in report["results"]]


def mutation_key(report: dict, work: Path) -> str:
    """The report without its times (the total, and a killed build's "after 39.5 s"), with the campaign's folder
    (named in build errors) as WORK."""
    text = str({k: v for k, v in report.items() if k != "seconds"}).replace(str(work), "WORK")
    return re.sub(r"after \d+(\.\d+)? s", "after T s", text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kinds", default="add,requant,activation,gemm")
    ap.add_argument("--mutate", default="requant", help="template kind whose default spec is mutated")
    ap.add_argument("--max", type=int, default=40, help="mutants")
    ap.add_argument("--noop", type=int, default=200, help="no-op tasks for the per-task cost")
    args = ap.parse_args()

    import ray
    from ray.cluster_utils import Cluster

    from accelsmith.fanout import fan_out
    from accelsmith.spec import spec_from_dict
    from accelsmith.verification.campaigns.mutate import mutate
    from accelsmith.verification.campaigns.regress import regress

    kinds = args.kinds.split(",")
    spec = spec_from_dict({"kind": args.mutate})
    work = Path(tempfile.mkdtemp(prefix="ray_campaigns_"))
    rows, base = [], {}

    def campaign(label: str, jobs: int, address: str | None) -> None:
        slug = label.replace(", ", "_").replace(" ", "_")  # GNU make (Verilator builds) refuses paths with spaces
        t0 = time.perf_counter()
        reg = regress(kinds=kinds, jobs=jobs, ray_address=address, workdir=work / slug / "regress")
        t_reg = time.perf_counter() - t0
        t0 = time.perf_counter()
        mut = mutate(spec, max_mutants=args.max, prove=False, jobs=jobs, ray_address=address,
                     workdir=work / slug / "mutate")
        t_mut = time.perf_counter() - t0
        t0 = time.perf_counter()
        fan_out(pow, [(2, i) for i in range(args.noop)], work / slug / "noop", jobs=jobs, ray_address=address)
        t_noop = time.perf_counter() - t0
        keys = regress_rows(reg, work / slug / "regress"), mutation_key(mut, work / slug / "mutate")
        if not base:
            base.update(reg=keys[0], mut=keys[1])
        rows.append((label, reg["runs"], reg["failed"], t_reg, keys[0] == base["reg"], mut["mutants"],
                     mut["killed"], t_mut, keys[1] == base["mut"], t_noop / args.noop))
        print(f"{label}: regress {reg['runs']} runs {t_reg:.1f} s, mutate {mut['mutants']} mutants {t_mut:.1f} s, "
              f"no-op {1000 * t_noop / args.noop:.1f} ms/task", flush=True)

    campaign("local, 1 job", 1, None)
    campaign("local, 2 jobs", 2, None)
    for workers in (1, 2):
        t0 = time.perf_counter()
        c = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "object_store_memory": 100 << 20,
                                                           "include_dashboard": False})
        for _ in range(workers):
            c.add_node(num_cpus=1, object_store_memory=100 << 20)
        c.wait_for_nodes()
        print(f"cluster with {workers} worker node(s) up in {time.perf_counter() - t0:.1f} s", flush=True)
        campaign(f"Ray, {workers} worker{'s' if workers > 1 else ''}", workers, c.address)
        ray.shutdown()
        c.shutdown()

    print(f"\nregress --kinds {args.kinds} (fast tier, icarus + verilator); mutate {spec.label} "
          f"(--max {args.max}, no proofs); {args.noop} no-op tasks")
    print("| mode | regress runs | failed | regress wall s | same as local 1 job | mutants | killed | mutate wall s "
          "| same as local 1 job | no-op ms/task |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | {'yes' if r[4] else 'NO'} | {r[5]} | {r[6]} | {r[7]:.1f} "
              f"| {'yes' if r[8] else 'NO'} | {1000 * r[9]:.1f} |")
    by = {r[0]: r for r in rows}
    for workers, local in ((1, "local, 1 job"), (2, "local, 2 jobs")):
        ray_row = by[f"Ray, {workers} worker{'s' if workers > 1 else ''}"]
        tasks = ray_row[1] + ray_row[5]
        extra = (ray_row[3] + ray_row[7]) - (by[local][3] + by[local][7])
        print(f"Ray with {workers} worker(s) vs {local}: {extra:+.1f} s over {tasks} campaign tasks = "
              f"{1000 * extra / tasks:+.0f} ms per task")


if __name__ == "__main__":
    main()
