"""One draft step's candidates: screened (security scan, lint, mechanical fixes), judged by the spec-derived bench,
the best kept; a candidate already tried (after normalisation) is never checked again.

Evidence orders candidates: safe, then compiles (no lint error after fixes), then bench cases passed, then earliest.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from accelsmith.agents._feedback import rtl_sources
from accelsmith.agents._fixers import apply_fixers
from accelsmith.agents.config import RunConfig
from accelsmith.diagnostics import Diagnostic, has_errors
from accelsmith.rtl import RtlBundle
from accelsmith.spec import BlockSpec
from accelsmith.verification import (TestPlan, lint_pyslang, lint_verilator, refusals, run_bench, scan_preprocessed,
                                     scan_rtl)
from accelsmith.verification._limits import limits_for

_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def fingerprint(files: dict[str, str]) -> str:
    """The same design however it is commented, spaced or split into files: a hash of its modules' code tokens."""
    code = " ".join(" ".join(_COMMENTS.sub(" ", text).split()) for text in files.values())
    modules = sorted(re.findall(r"\bmodule\b.*?\bendmodule\b", code)) or [code]
    return hashlib.sha256("\n".join(modules).encode()).hexdigest()[:16]


@dataclass
class Screened:
    files: dict[str, str]
    diagnostics: list[Diagnostic]
    unsafe: bool = False
    fixes: list[dict] = field(default_factory=list)

    @property
    def compiles(self) -> bool:
        return not self.unsafe and not has_errors(self.diagnostics)


def screen(files: dict[str, str], top: str, folder: Path, spec: BlockSpec, testplan: TestPlan, cfg: RunConfig,
           *, fix: bool) -> Screened:
    """Scan (as written, then as each simulator preprocesses it), lint (pyslang + Verilator) and, with ``fix``,
    mechanical fixes, in ``folder`` (``rtl/`` holds what passes on; ``rtl_as_drafted/`` the draft when fixed)."""
    RtlBundle(files=files, top=top).write(folder / "rtl")
    findings = scan_rtl(files)
    if not findings:  # as each simulator's own preprocessor (sandboxed) makes it: names assembled by macros
        tools = tuple(dict.fromkeys([cfg.sim, *cfg.cross_check]))
        pp = scan_preprocessed(rtl_sources(folder / "rtl"), folder, tools=tools)
        findings = refusals(pp)
    if findings:  # unsafe RTL never reaches a tool
        return Screened(files, findings, unsafe=True)
    lint_s = cfg.limits.lint_s or limits_for(spec.design_units, testplan, cfg.sim).lint_s

    def lint(rtl: Path) -> list[Diagnostic]:
        srcs = rtl_sources(rtl)
        return lint_pyslang(srcs, top, rtl.parent) + lint_verilator(srcs, top, rtl.parent, timeout_s=lint_s,
                                                                     size=spec.size_label)

    diags = lint(folder / "rtl")
    if not (fix and has_errors(diags)):
        return Screened(files, diags)
    trials = 0

    def relint(trial: dict[str, str]) -> list[Diagnostic]:
        nonlocal trials
        trials += 1
        RtlBundle(files=trial, top=top).write(folder / f"fix_{trials:02d}" / "rtl")
        return lint(folder / f"fix_{trials:02d}" / "rtl")

    fixed, records = apply_fixers(files, diags, relint, params=spec.rtl_params())
    if fixed == files or scan_rtl(fixed):  # a rewrite adds no construct the scan refuses; checked all the same
        return Screened(files, diags, fixes=records)
    shutil.copytree(folder / "rtl", folder / "rtl_as_drafted", dirs_exist_ok=True)
    shutil.rmtree(folder / "rtl")
    RtlBundle(files=fixed, top=top).write(folder / "rtl")
    return Screened(fixed, lint(folder / "rtl"), fixes=records)


def judge(files: dict[str, str], top: str, folder: Path, spec: BlockSpec, testplan: TestPlan, cfg: RunConfig,
          *, fix: bool) -> tuple[Screened, dict]:
    """Screen a candidate and, when it compiles, run the spec-derived bench on the primary simulator: the evidence
    (``unsafe``, ``compiles``, ``cases_passed`` of ``cases``) by which candidates are ranked."""
    s = screen(files, top, folder, spec, testplan, cfg, fix=fix)
    evidence = {"unsafe": s.unsafe, "compiles": s.compiles, "lint_errors": sum(d.severity == "error"
                                                                               for d in s.diagnostics),
                "fixes_applied": sum(r["kept"] for r in s.fixes), "cases": len(testplan.cases), "cases_passed": 0}
    if s.compiles:
        res = run_bench(rtl_sources(folder / "rtl"), top, testplan, folder / f"bench_{cfg.sim}", sim=cfg.sim,
                        timeout_s=cfg.limits.sim_s or cfg.bench_timeout_s, build_timeout_s=cfg.limits.build_s,
                        units=spec.design_units, size=spec.size_label, memory_mb=cfg.limits.memory_mb)
        evidence["cases_passed"] = sum(bool(c["passed"]) for c in res.cases)
        evidence["passed"] = res.passed
    return s, evidence


def rank(evidence: dict, index: int) -> tuple:
    """Higher is better: safe, compiles, cases passed, then the earliest candidate."""
    return (not evidence["unsafe"], evidence["compiles"], evidence["cases_passed"], -index)
