"""Loads one run folder into plain data for the detail page; every gap becomes a listed problem, not a 500."""

from __future__ import annotations

import json
import os
import re
import stat
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from accelsmith.runstore import RunRecord

RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
MAX_TEXT_BYTES = 2_000_000  # a generated file bigger than this is shown truncated


@dataclass
class Bench:
    sim: str
    cases: list[dict]
    timings: dict
    junit: dict[str, dict]  # case name -> {time, failure}

    @property
    def passed(self) -> bool:
        return bool(self.cases) and all(c.get("passed") for c in self.cases)


@dataclass
class Iteration:
    n: int
    name: str
    rtl: dict[str, str]
    diagnostics: list[dict]
    benches: dict[str, Bench]
    candidates: list[dict] = field(default_factory=list)  # every candidate of the draft step, with its evidence
    chosen: int | None = None
    fixes: list[dict] = field(default_factory=list)       # mechanical fixes tried on the chosen design

    @property
    def passed(self) -> bool | None:
        if any(d.get("severity") == "error" for d in self.diagnostics):
            return False
        return all(b.passed for b in self.benches.values()) if self.benches else None

    @property
    def bench_seconds(self) -> float:
        return round(sum((b.timings.get("build_s") or 0) + (b.timings.get("sim_s") or 0)
                         for b in self.benches.values()), 3)


@dataclass
class RunDetail:
    run_id: str
    folder: Path
    record: RunRecord | None
    problems: list[str] = field(default_factory=list)
    spec: dict | None = None
    cost: dict = field(default_factory=dict)
    tools: dict = field(default_factory=dict)
    ppa: dict | None = None
    report_md: str | None = None
    iterations: list[Iteration] = field(default_factory=list)
    final_rtl: dict[str, str] = field(default_factory=dict)
    diagnostics: list[dict] = field(default_factory=list)


def run_folder(root: Path, run_id: str) -> Path | None:
    """The run's folder, or None when the id is malformed or would leave the store."""
    if not RUN_ID_RE.match(run_id) or ".." in run_id:
        return None
    root = root.resolve()
    folder = (root / run_id).resolve()
    return folder if folder.parent == root else None


def inside(path: Path) -> bool:
    """True when ``path`` is reached without a symbolic link anywhere after its (resolved) run folder and is a
    regular file: every path here is built from ``run_folder``'s resolved path, so a link in any later component
    (a planted ``report.md``, ``rtl/``, ``iter_01`` link) makes the real path differ from the written one."""
    try:
        return os.path.realpath(path) == os.path.abspath(path) and stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def inside_dir(path: Path) -> bool:
    """A real folder (not a link) below its run folder."""
    return os.path.realpath(path) == os.path.abspath(path) and os.path.isdir(path)


def read_bytes_safe(path: Path, limit: int) -> bytes | None:
    """At most ``limit + 1`` bytes of a regular file inside the store, opened without following links; None when
    the file is missing, a link, or not a regular file."""
    if not inside(path):
        return None
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit + 1)
    finally:
        os.close(fd)


def read_text(path: Path, problems: list[str], rel: str, required: bool = False) -> str | None:
    if os.path.lexists(path) and not inside(path):
        problems.append(f"{rel}: not a regular file inside the run store (a link or a device); not shown")
        return None
    if not path.is_file():
        if required:
            problems.append(f"{rel}: missing")
        return None
    try:
        data = read_bytes_safe(path, MAX_TEXT_BYTES)
    except OSError as err:
        problems.append(f"{rel}: unreadable ({err.strerror})")
        return None
    if data is None:
        problems.append(f"{rel}: not a regular file inside the run store; not shown")
        return None
    if len(data) > MAX_TEXT_BYTES:
        problems.append(f"{rel}: larger than {MAX_TEXT_BYTES} bytes, shown truncated")
        data = data[:MAX_TEXT_BYTES]
    return data.decode("utf-8", errors="replace")


def read_json(path: Path, problems: list[str], rel: str, required: bool = False, want: type = dict):
    text = read_text(path, problems, rel, required)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        problems.append(f"{rel}: invalid or truncated JSON ({err.msg} at line {err.lineno}, column {err.colno})")
        return None
    if not isinstance(value, want):
        problems.append(f"{rel}: expected a JSON {want.__name__}, found {type(value).__name__}")
        return None
    return value


def read_rtl(folder: Path, problems: list[str], rel: str) -> dict[str, str]:
    if not inside_dir(folder):
        problems.append(f"{rel}/: a link out of the run folder; not shown")
        return {}
    files = sorted(p for p in folder.glob("*") if p.suffix in (".v", ".sv", ".vh", ".svh") and p.is_file())
    if not files:
        problems.append(f"{rel}/: no RTL files")
    return {p.name: read_text(p, problems, f"{rel}/{p.name}") or "" for p in files}


def read_junit(path: Path, problems: list[str], rel: str) -> dict[str, dict]:
    text = read_text(path, problems, rel) if os.path.lexists(path) else None
    if text is None:
        return {}
    try:
        tree = ET.ElementTree(ET.fromstring(text))
    except ET.ParseError as err:
        problems.append(f"{rel}: invalid JUnit XML ({err})")
        return {}
    out = {}
    for tc in tree.iter("testcase"):
        fail = tc.find("failure")
        if fail is None:
            fail = tc.find("error")
        out[tc.get("name", "?")] = {"time": tc.get("time"),
                                    "failure": None if fail is None else (fail.get("message") or fail.text or "failed")}
    return out


def _clean_case(case: dict, stem: str) -> dict:
    """The template indexes mismatches: keep only well-formed ones."""
    case.setdefault("case", stem)
    mm = case.get("mismatches")
    case["mismatches"] = [m for m in mm if isinstance(m, dict)] if isinstance(mm, list) else []
    return case


def read_bench(folder: Path, problems: list[str], rel: str) -> Bench:
    sim = folder.name.removeprefix("bench_")
    cases = [_clean_case(c, p.stem) for p in sorted((folder / "cases").glob("*.json"))
             if (c := read_json(p, problems, f"{rel}/cases/{p.name}")) is not None]
    junit = read_junit(folder / "results.xml", problems, f"{rel}/results.xml")
    seen = {c.get("case") for c in cases}
    # a case JUnit knows but that left no JSON still belongs in the table
    cases += [{"case": name, "passed": j["failure"] is None, "junit_only": True}
              for name, j in junit.items() if name not in seen]
    if not cases:
        problems.append(f"{rel}/: no case results (cases/*.json or results.xml)")
    timings = read_json(folder / "timings.json", problems, f"{rel}/timings.json") or {}
    return Bench(sim=sim, cases=cases, timings=timings, junit=junit)


def read_iteration(folder: Path, problems: list[str]) -> Iteration:
    name = folder.name
    diags = read_json(folder / "diagnostics.json", problems, f"{name}/diagnostics.json", required=True, want=list)
    benches = {b.name.removeprefix("bench_"): read_bench(b, problems, f"{name}/{b.name}")
               for b in sorted(folder.glob("bench_*")) if inside_dir(b)}
    rtl = read_rtl(folder / "rtl", problems, f"{name}/rtl") if (folder / "rtl").is_dir() else {}
    if not rtl and not (folder / "rtl").is_dir():
        problems.append(f"{name}/rtl/: missing")
    judged = read_json(folder / "candidates.json", problems, f"{name}/candidates.json") \
        if (folder / "candidates.json").is_file() else None
    drafted = read_json(folder / "draft.json", problems, f"{name}/draft.json") if (folder / "draft.json").is_file() \
        else None
    fixes = read_json(folder / "fixes.json", problems, f"{name}/fixes.json", want=list) \
        if (folder / "fixes.json").is_file() else None
    if isinstance(judged, dict) and isinstance(judged.get("candidates"), list):
        candidates, chosen = [c for c in judged["candidates"] if isinstance(c, dict)], judged.get("chosen")
    else:  # one candidate or none judged: what the draft step listed (repeats included)
        listed = drafted.get("candidates") if isinstance(drafted, dict) else None
        candidates, chosen = [c for c in listed or [] if isinstance(c, dict)], None
    return Iteration(n=int(name.split("_")[1]), name=name, rtl=rtl,
                     diagnostics=[d for d in diags or [] if isinstance(d, dict)], benches=benches,
                     candidates=candidates, chosen=chosen if isinstance(chosen, int) else None,
                     fixes=[f for f in fixes or [] if isinstance(f, dict)])


def load_run(root: Path, run_id: str, record: RunRecord | None) -> RunDetail | None:
    """None when neither the index nor the store knows the run."""
    folder = run_folder(root, run_id)
    if folder is None or (record is None and not folder.is_dir()):
        return None
    run = RunDetail(run_id=run_id, folder=folder, record=record)
    p = run.problems
    if record is None:
        p.append("run is not in runs.sqlite (folder only)")
    if not folder.is_dir():
        p.append(f"run folder {run_id}/ is missing")
        return run
    run.spec = read_json(folder / "spec.json", p, "spec.json", required=True)
    run.cost = read_json(folder / "cost.json", p, "cost.json") or {}
    run.tools = read_json(folder / "tools.json", p, "tools.json") or {}
    run.ppa = read_json(folder / "ppa.json", p, "ppa.json")
    run.report_md = read_text(folder / "report.md", p, "report.md")
    links = [d.name for d in folder.glob("iter_*") if d.is_symlink()]
    p += [f"{n}/: a link out of the run folder; not shown" for n in links]
    iter_dirs = sorted((d for d in folder.glob("iter_*") if inside_dir(d) and d.name[5:].isdigit()),
                       key=lambda d: int(d.name[5:]))
    run.iterations = [read_iteration(d, p) for d in iter_dirs]
    have = {it.n for it in run.iterations}
    expected = record.iterations if record else max(have, default=0)
    p += [f"iter_{n:02d}/: missing (index says {expected} iterations)" for n in range(1, expected + 1)
          if n not in have]
    if (folder / "rtl").is_dir() or (folder / "rtl").is_symlink():
        run.final_rtl = read_rtl(folder / "rtl", p, "rtl")
    elif run.iterations:
        run.final_rtl = run.iterations[-1].rtl
    run.diagnostics = read_json(folder / "diagnostics.json", p, "diagnostics.json", want=list) or []
    if record and record.status not in ("running", "interrupted") and run.report_md is None:
        p.append("report.md: missing")
    return run
