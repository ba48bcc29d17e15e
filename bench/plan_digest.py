"""Digest of every derived test plan over the kinds' regression grids (and each kind's default spec), and of every
rendered template's mutant set: a refactor of specs or derivers that must not change any stimulus leaves every plan
digest as it was, and one of the Verilog templates that must not change any mutant (so no mutation figure) leaves
every mutant digest as it was (a mutant is its file, operator, edit and the source line it edits, so moving lines
or rewriting comments and headers, which hold no mutation points, keeps it).

    .venv/bin/python bench/plan_digest.py OUT.json          # then compare two checkouts' files with --against
    .venv/bin/python bench/plan_digest.py OUT.json --against OTHER.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from accelsmith.hw_templates._base import TEMPLATES
from accelsmith.spec import KINDS, spec_from_dict
from accelsmith.verification import derive
from accelsmith.verification.campaigns.mutate import generate_mutants

MAX_UNITS = 2000  # the largest scale-tier specs take minutes to derive: left out


def digests() -> dict[str, str]:
    out = {}
    for kind in KINDS.names():
        cls = KINDS.get(kind)
        specs = [spec_from_dict({"kind": kind, **row}) for rows in cls.grid.values() for row in rows]
        specs.append(spec_from_dict({"kind": kind, "name": f"{kind}_default"}))
        for s in specs:
            if s.design_units <= MAX_UNITS:
                out[s.label] = hashlib.sha256(derive(s).model_dump_json().encode()).hexdigest()[:16]
            if kind in TEMPLATES.names():
                out[f"mutants {s.label}"] = _mutant_digest(TEMPLATES.get(kind).render(s).files)
    return out


def _mutant_digest(files: dict[str, str]) -> str:
    rows = []
    for m in generate_mutants(files):
        text = files[m.file]
        line = text[text.rfind("\n", 0, m.start) + 1: text.find("\n", m.end) % (len(text) + 1)].strip()
        rows.append(f"{m.id} {m.file} {m.operator} {m.original!r} {m.replacement!r} {line!r}")
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--against", type=Path, help="an earlier digest file: list the plans that differ")
    args = ap.parse_args()
    now = digests()
    args.out.write_text(json.dumps(now, indent=1, sort_keys=True))
    print(f"{sum(not k.startswith('mutants ') for k in now)} plans and "
          f"{sum(k.startswith('mutants ') for k in now)} mutant sets digested")
    if args.against:
        before = json.loads(args.against.read_text())
        differ = sorted(k for k in set(now) | set(before) if now.get(k) != before.get(k))
        print(f"{len(differ)} differ from {args.against}" + (f": {', '.join(differ)}" if differ else ""))
        raise SystemExit(1 if differ else 0)


if __name__ == "__main__":
    main()
