"""``accelsmith problems``: VerilogEval spec-to-RTL problems, honest oracle.

The agent gets the problem's prompt only; during repair it sees the security scan, pyslang lint and
Icarus' compile messages of its own candidate. The problem's testbench and reference RTL are read
only by ``grade``, after the agent has finished, in a separate folder.
"""

from __future__ import annotations

import itertools

import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from accelsmith import sandbox
from accelsmith.agents._backends import Draft, get_backend
from accelsmith.agents._chat import LLMError
from accelsmith.agents._llm import RETRY_TEMPERATURE
from accelsmith.agents._extract import UnusableReply, extract_files, extract_with_header
from accelsmith.agents._options import resolve_backend_options
from accelsmith.agents._prompting import rtl_text
from accelsmith.diagnostics import Diagnostic
from accelsmith.prompts import render
from accelsmith.tools import tool_env
from accelsmith.verification import lint_pyslang, parse_tool_output, refusals, scan_preprocessed, scan_rtl

TOP = "TopModule"
_MISMATCHES = re.compile(r"Mismatches:\s*(\d+)\s+in\s+(\d+)\s+samples")


@dataclass(frozen=True)
class Problem:
    name: str
    prompt: Path
    test: Path
    ref: Path


@dataclass
class Outcome:
    problem: str
    first_pass: bool = False
    final_pass: bool = False
    iterations: int = 0
    seconds: float = 0.0
    cost: Draft = field(default_factory=lambda: Draft(bundle=None))
    detail: str = ""
    steps: list[dict] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.problem:<32} first {'PASS' if self.first_pass else 'fail'}  "
                f"repaired {'PASS' if self.final_pass else 'fail'}  it={self.iterations}  fixes={self.fixes}  "
                f"tok={self.cost.tokens_in}/{self.cost.tokens_out}  {self.seconds:.1f}s  {self.detail}")

    @property
    def fixes(self) -> int:
        return sum(len(s.get("fixes", [])) for s in self.steps)


def find_problems(folder: Path, only: str | None = None) -> list[Problem]:
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{str(folder)!r} is not a folder of VerilogEval problems")
    problems = []
    for prompt in sorted(folder.glob("Prob*_prompt.txt")):
        stem = prompt.name.removesuffix("_prompt.txt")
        test, ref = folder / f"{stem}_test.sv", folder / f"{stem}_ref.sv"
        if test.is_file() and ref.is_file() and (not only or only in stem):
            problems.append(Problem(stem, prompt, test, ref))
    if not problems:
        raise ValueError(f"no ProbNNN_*_prompt.txt with _test.sv and _ref.sv in {str(folder)!r}")
    return problems


def compile_check(files: dict[str, str], work: Path) -> list[Diagnostic]:
    """What the agent may see: security scan, pyslang lint and Icarus' compile of its own files."""
    findings = scan_rtl(files)
    if findings:
        return findings
    if work.exists():
        shutil.rmtree(work)
    (work / "rtl").mkdir(parents=True)
    paths = []
    for name, text in files.items():
        (work / "rtl" / name).write_text(text)
        paths.append(work / "rtl" / name)
    findings = refusals(scan_preprocessed(paths, work, ("icarus",)))
    if findings:
        return findings
    diags = [d for d in lint_pyslang(paths, TOP, work) if d.severity == "error"]
    out = sandbox.run(["iverilog", "-g2012", "-s", TOP, "-o", "a.out", *map(str, paths)], cwd=work,
                      readable=[work / "rtl"], env=tool_env(), log=work / "compile.log",
                      limits=sandbox.Limits(wall_s=60, memory_mb=4096, file_mb=64, disk_mb=256))
    if not out.ok:
        text = sandbox.read_capped(out.log, 256 << 10)
        diags += parse_tool_output("icarus", text) or [
            Diagnostic(tool="icarus", severity="error", message=(out.describe("iverilog") + ": " + text)[:300])]
    return diags


def solve(prompt_text: str, backend, max_iterations: int, work: Path, candidates: int = 1,
          temperature: float = 0.7, fixers: bool = True) -> tuple[list[dict[str, str]], Draft, list[dict]]:
    """Draft ``candidates`` designs per step (the first greedy, the others sampled), fix compile errors mechanically
    (``agents._fixers``, kept only when the compile gets cleaner), keep the ones that compile and, of several, the one
    the behavioural consensus picks; repair from compile diagnostics only. A design already tried (after
    normalisation) is not checked again: when a step brings nothing new, the next samples every candidate (at
    temperature max(T, 0.8)) instead of asking greedily again. Returns the kept design of each step (the first reply
    first), the cost and one record per step."""
    from accelsmith.agents._candidates import fingerprint
    from accelsmith.agents._consensus import consensus, prompt_header
    from accelsmith.agents._fixers import apply_fixers

    cost = Draft(bundle=None)
    kept: list[dict[str, str]] = []
    steps: list[dict] = []
    tried: set[str] = set()
    header = prompt_header(prompt_text, TOP)  # interface by construction: the stated ports, re-attached to replies
    problem = prompt_text.strip() + (f"\n\nUse exactly this module header:\n{header}" if header else "")
    user = render("verilogeval", problem=problem)
    resample = False

    def parse(text: str):
        return extract_with_header(text, TOP, header) if header else extract_files(text, TOP)

    def check(files: dict[str, str], where: Path) -> tuple[dict[str, str], list[Diagnostic], list[dict]]:
        errors = [d for d in compile_check(files, where) if d.severity == "error"]
        if not errors or not fixers or any(d.tool.startswith("security") for d in errors):  # never edit refused RTL
            return files, errors, []
        n, seen = itertools.count(), {}

        def relint(trial: dict[str, str]) -> list[Diagnostic]:  # each distinct trial compiled once
            key = fingerprint(trial)
            if key not in seen:
                seen[key] = [d for d in compile_check(trial, where.parent / f"{where.name}_fix_{next(n):02d}")
                             if d.severity == "error"]
            return seen[key]
        fixed, records = apply_fixers(files, errors, relint)
        if fixed == files:
            return files, errors, records
        return fixed, relint(fixed), records
    for it in range(1, max_iterations + 1):
        msgs = [{"role": "system", "content": render("system")}, {"role": "user", "content": user}]
        drafted = []
        for k in range(candidates):
            if resample:  # the last step repeated itself: greedy would again
                temp, seed = max(temperature, RETRY_TEMPERATURE), 1000 * it + k
            else:
                temp, seed = (None, None) if k == 0 else (temperature, 1000 * it + k)
            parsed = backend.complete(msgs, parse, "the complete Verilog in one ```verilog block", cost,
                                      temperature=temp, seed=seed)
            if parsed is not None:
                drafted.append(parsed[0])
        step: dict = {"iteration": it, "replies": len(drafted), "sampled": resample or candidates > 1}
        fresh = []
        for files in drafted:
            f = fingerprint(files)
            if f not in tried:
                tried.add(f)
                fresh.append(files)
        step["new"] = len(fresh)
        resample = not fresh
        if not fresh:
            steps.append(step)
            continue  # nothing new to check: the next step samples
        checked = [check(files, work / f"iter_{it:02d}" / f"cand_{k:02d}") for k, files in enumerate(fresh)]
        step["fixes"] = [r["fixer"] for _, _, records in checked for r in records if r["kept"]]
        for files, _, _ in checked:
            tried.add(fingerprint(files))
        clean = [files for files, errors, _ in checked if not errors]
        step["compile"] = len(clean)
        if clean:
            pick = consensus(clean, prompt_text, work / f"iter_{it:02d}" / "consensus") if len(clean) > 1 else \
                {"chosen": 0, "clusters": [[0]], "why": "one candidate compiles"}
            step["consensus"] = {"clusters": [len(c) for c in pick["clusters"]], "why": pick["why"]}
            kept.append(clean[pick["chosen"] or 0])
            steps.append(step)
            break
        files, errors, _ = min(checked, key=lambda c: len(c[1]))  # repair the one closest to compiling
        kept.append(files)
        steps.append(step)
        user = (render("verilogeval", problem=problem) + "\n\n" + render(
            "verilogeval_repair", previous_rtl=rtl_text(files),
            diagnostics="\n".join(f"- {d.one_line()[:200]}" for d in errors[:10])))
    return kept, cost, steps


def grade(files: dict[str, str] | None, problem: Problem, work: Path, timeout_s: float = 60.0) -> tuple[bool, str]:
    """Hidden harness: the problem's testbench + reference + the candidate, under Icarus."""
    if not files:
        return False, "no candidate"
    if scan_rtl(files):
        return False, "candidate rejected by the security scan"
    if work.exists():
        shutil.rmtree(work)
    (work / "rtl").mkdir(parents=True)
    cand = work / "rtl" / "candidate.sv"
    cand.write_text("\n".join(files.values()))
    if refusals(scan_preprocessed([cand], work, ("icarus",))):
        return False, "candidate rejected by the security scan"
    # the harness is ours, the candidate is not: both compile and run in the sandbox
    limits = sandbox.Limits(wall_s=timeout_s, memory_mb=4096, file_mb=64, disk_mb=256)
    harness = sorted({problem.test.resolve().parent, problem.ref.resolve().parent})
    build = sandbox.run(["iverilog", "-g2012", "-o", "sim", str(problem.test.resolve()), str(problem.ref.resolve()),
                         str(cand)], cwd=work, readable=[work / "rtl", *harness], env=tool_env(),
                        log=work / "compile.log", limits=limits)
    if not build.ok:
        return False, "does not compile with the testbench"
    run = sandbox.run(["vvp", "-n", "sim"], cwd=work, env=tool_env(), log=work / "sim.log", limits=limits)
    if run.killed:
        return False, "simulation timeout" if run.killed == "time" else f"simulation killed at its {run.killed} limit"
    m = _MISMATCHES.search(sandbox.read_capped(run.log, 1 << 20))
    if not m:
        return False, "no 'Mismatches:' line"
    ok = int(m.group(1)) == 0 and int(m.group(2)) > 0 and run.returncode == 0
    return ok, f"{m.group(1)} mismatches in {m.group(2)} samples"


def run_bench_suite(problems: list[Problem], *, backend: str, max_iterations: int, work_dir: Path,
                    backend_options: dict | None = None, llm=None, candidates: int = 1, temperature: float = 0.7,
                    fixers: bool = True, on_result: Callable[[Outcome], None] | None = None,
                    ray_address: str | None = None) -> list[Outcome]:
    """Solve then grade every problem: one after another here (one backend, e.g. one loaded model), or one Ray task
    per problem at ``ray_address`` (each task builds its own backend from the same options and gets the
    problem's files as text, so a worker needs no copy of the folder)."""
    options = resolve_backend_options(backend, backend_options, llm)
    if ray_address:
        from accelsmith.fanout import ROOT, Needs, fan_out

        calls = [(p.name, p.prompt.read_text(), p.test.read_text(), p.ref.read_text(), backend, options,
                  max_iterations, ROOT, candidates, temperature, fixers) for p in problems]
        return fan_out(_problem_task, calls, work_dir, ray_address=ray_address, progress=on_result,
                       needs=lambda _: Needs(cpus=1.0, memory_mb=4096 if backend in ("local", "cascade") else 1024))
    be = _free_form_backend(backend, options)
    outcomes = []
    for p in problems:
        outcomes.append(solve_and_grade(p, be, max_iterations, work_dir, candidates, temperature, fixers))
        if on_result:
            on_result(outcomes[-1])
    return outcomes


def _free_form_backend(backend: str, options: dict):
    be = get_backend(backend, **options)
    if not hasattr(be, "complete"):
        raise ValueError(f"backend {backend!r} cannot write free-form RTL; use openai, local or cascade")
    return be


def _problem_task(name: str, prompt: str, test: str, ref: str, backend: str, options: dict, max_iterations: int,
                  root: Path, candidates: int, temperature: float, fixers: bool) -> Outcome:
    """One problem as a unit of work (a Ray task): its files written under ``root/name/problem``, its own backend."""
    folder = root / name / "problem"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}_{part}" for part in ("prompt.txt", "test.sv", "ref.sv")]
    for path, text in zip(paths, (prompt, test, ref)):
        path.write_text(text)
    return solve_and_grade(Problem(name, *paths), _free_form_backend(backend, options), max_iterations, root,
                           candidates, temperature, fixers)


def solve_and_grade(p: Problem, be, max_iterations: int, work_dir: Path, candidates: int, temperature: float,
                    fixers: bool) -> Outcome:
    """The agent on ``p``'s prompt alone (in ``work_dir/<name>/agent``), then the hidden harness grades the first
    raw reply and what the agent kept."""
    t0 = time.perf_counter()
    out = Outcome(problem=p.name)
    try:
        kept, out.cost, out.steps = solve(p.prompt.read_text(), be, max_iterations, work_dir / p.name / "agent",
                                          candidates, temperature, fixers)
    except LLMError as err:
        kept, out.detail = [], f"backend: {err}"
    out.iterations = len(out.steps)
    first = out.cost.replies[0]["text"] if out.cost.replies else ""
    try:
        first_files = extract_files(first, TOP)[0] if first else None
    except UnusableReply:
        first_files = None
    # grading happens only after the agent is done, outside its folder: the first raw reply, then what it kept
    out.first_pass, _ = grade(first_files, p, work_dir / p.name / "grade_first")
    out.final_pass, why = grade(kept[-1] if kept else None, p, work_dir / p.name / "grade_final")
    out.detail = out.detail or why
    out.seconds = time.perf_counter() - t0
    return out


def summary_lines(results: list[Outcome]) -> list[str]:
    n = len(results) or 1
    first = sum(r.first_pass for r in results)
    final = sum(r.final_pass for r in results)
    tin = sum(r.cost.tokens_in for r in results)
    tout = sum(r.cost.tokens_out for r in results)
    return [f"pass@1 without repair: {first}/{len(results)} = {first / n:.3f}",
            f"pass@1 with repair:    {final}/{len(results)} = {final / n:.3f}",
            f"cost: {tin} tokens in, {tout} tokens out, {sum(r.seconds for r in results):.1f} s, "
            f"{sum(r.fixes for r in results)} mechanical fixes kept"]
