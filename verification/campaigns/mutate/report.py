"""Mutation results and their one report: counts per status and operator, kill rates (classic and bug classes
apart), the text rendering."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from accelsmith.spec import BlockSpec
from accelsmith.verification.campaigns.mutate.equivalence import REVIEWED
from accelsmith.verification.campaigns.mutate.operators import BUG_CLASS_OPERATORS, Mutant


@dataclass
class MutantResult:
    mutant: Mutant
    status: str            # killed | survived | stillborn | equivalent
    detail: str = ""
    seconds: float = 0.0



def _class_figures(results: list[MutantResult]) -> dict:
    count = {s: sum(r.status == s for r in results) for s in ("killed", "survived", "stillborn", "equivalent")}
    scored = count["killed"] + count["survived"]
    return {"mutants": len(results), **count, "kill_rate": count["killed"] / scored if scored else None}


def _report(spec: BlockSpec, results: list[MutantResult], seconds: float) -> dict:
    count = {s: sum(r.status == s for r in results) for s in ("killed", "survived", "stillborn", "equivalent")}
    scored = count["killed"] + count["survived"]  # non-equivalent mutants that build
    by_op: dict[str, dict[str, int]] = {}
    for r in results:
        by_op.setdefault(r.mutant.operator, {}).setdefault(r.status, 0)
        by_op[r.mutant.operator][r.status] += 1
    killers: dict[str, int] = {}
    for r in results:
        if r.status == "killed":
            first = r.detail.split(",")[0] or "?"
            killers[first] = killers.get(first, 0) + 1
    reviewed = sum(r.status == "equivalent" and r.detail.startswith(REVIEWED) for r in results)
    return {
        "kind": spec.kind, "spec": spec.label, "spec_hash": spec.spec_hash, "summary": spec.summary(),
        "mutants": len(results), **count, "non_equivalent": scored,
        "kill_rate": count["killed"] / scored if scored else None,
        # the same figure with the reviewed (argued, unproved) equivalents counted as survivors
        "equivalent_reviewed": reviewed,
        "kill_rate_proved_only": count["killed"] / (scored + reviewed) if scored + reviewed else None,
        "killed_by_timeout": sum(r.status == "killed" and r.detail == "wall-clock timeout" for r in results),
        "first_failing_case": dict(sorted(killers.items(), key=lambda kv: -kv[1])),
        "by_operator": by_op, "seconds": round(seconds, 1),
        # the bug classes (realistic ready/valid and reset slips) apart from the classic operators
        "by_class": {"classic": _class_figures([r for r in results if r.mutant.operator not in BUG_CLASS_OPERATORS]),
                     "bug_class": _class_figures([r for r in results if r.mutant.operator in BUG_CLASS_OPERATORS])},
        "survivors": [{**asdict(r.mutant), "detail": r.detail} for r in results if r.status == "survived"],
        "equivalents": [{**asdict(r.mutant), "detail": r.detail} for r in results if r.status == "equivalent"],
        "stillborn_mutants": [{**asdict(r.mutant), "detail": r.detail} for r in results if r.status == "stillborn"],
    }


def class_lines(report: dict) -> list[str]:
    """The classic operators' and the bug classes' kill rates, one line each (the bug classes per operator too)."""
    lines = []
    for key, title in (("classic", "classic operators"), ("bug_class", "bug classes")):
        c = (report.get("by_class") or {}).get(key)
        if not c or not c["mutants"]:
            continue
        rate = c["kill_rate"]
        line = (f"{title}: {c['killed']} killed / {c['killed'] + c['survived']} non-equivalent = "
                f"{'n/a' if rate is None else f'{100 * rate:.1f} %'} ({c['mutants']} mutants, {c['equivalent']} "
                f"equivalent, {c['stillborn']} stillborn)")
        if key == "bug_class":
            ops = {op: v for op, v in sorted(report.get("by_operator", {}).items()) if op in BUG_CLASS_OPERATORS}
            line += "; " + ", ".join(f"{op} {v.get('killed', 0)}/{v.get('killed', 0) + v.get('survived', 0)}"
                                     for op, v in ops.items())
        lines.append(line)
    return lines


def format_report(report: dict) -> str:
    """Plain-text report: the figure, then every survivor and equivalent as file:line operator: old -> new."""
    rate = report["kill_rate"]
    lines = [f"{report['kind']} ({report['summary']}): {report['mutants']} mutants: {report['killed']} killed / "
             f"{report['killed'] + report['survived']} non-equivalent = "
             f"{'n/a' if rate is None else f'{100 * rate:.1f} %'}; {report['equivalent']} equivalent, "
             f"{report['stillborn']} stillborn (do not build), {report['seconds']} s"]
    lines += [f"  {line}" for line in class_lines(report)]
    if report.get("equivalent_reviewed"):
        strict = report["kill_rate_proved_only"]
        lines.append(f"  {report['equivalent_reviewed']} of the equivalents are reviewed arguments, not proofs; counted "
                     f"as survivors instead: {report['killed']} / {report['killed'] + report['survived'] + report['equivalent_reviewed']}"
                     f" = {100 * strict:.1f} %")
    for tag, key in (("survived", "survivors"), ("equivalent", "equivalents"), ("stillborn", "stillborn_mutants")):
        for s in report.get(key, []):
            lines.append(f"  {tag:<10} {s['file']}:{s['line']} {s['operator']}: {s['original'].strip()!r} -> "
                         f"{s['replacement'].strip()!r}" + (f"  ({s['detail']})" if s.get("detail") else ""))
    return "\n".join(lines)
