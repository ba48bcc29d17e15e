"""Which survivors are equivalent: a yosys sequential-equivalence proof, parameter-only edits that elaborate
to the same parameters (pyslang), and reviewed written arguments (``<file stem>.equivalents.yaml`` beside the
RTL)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from accelsmith.errors import UsageError
from accelsmith.verification.campaigns.mutate.operators import Mutant, _balanced, _blank_comments


_YOSYS_EQUIV = """\
read_verilog -sv {gold}
hierarchy -top {top}
proc; flatten; memory; opt -fast; opt_clean
rename {top} gold
design -stash gold
read_verilog -sv {gate}
hierarchy -top {top}
proc; flatten; memory; opt -fast; opt_clean
rename {top} gate
design -stash gate
design -copy-from gold -as gold gold
design -copy-from gate -as gate gate
equiv_make gold gate equiv
equiv_struct
hierarchy -top equiv
async2sync
equiv_simple
equiv_induct -seq {depth}
equiv_status -assert
"""


PARAMS_UNCHANGED = "parameter code only, and every elaborated parameter keeps its type and value (pyslang)"
_PARAM_DECL = re.compile(r"\s*(?:localparam|parameter)\b")


def in_parameter_code(mutant: Mutant, files: dict[str, str]) -> bool:
    """True when the edit lies inside a ``localparam``/``parameter`` declaration or an instance's ``#( ... )``
    parameter overrides, so the only thing it can change is a parameter's value or width."""
    text = _blank_comments(files[mutant.file])
    prev = text.rfind(";", 0, mutant.start) + 1
    if _PARAM_DECL.match(text[prev:mutant.start]) and ";" not in text[mutant.start:text.find(";", mutant.end)]:
        return True
    hash_at = text.rfind("#(", prev, mutant.start)
    return hash_at >= 0 and _balanced(text, hash_at + 1) >= mutant.end


def elaborated_parameters(files: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Every parameter of every instance (generate scopes too) after elaboration: path -> (type, value)."""
    from pyslang.ast import Compilation, SymbolKind
    from pyslang.syntax import SyntaxTree

    comp = Compilation()
    for name in sorted(files):
        comp.addSyntaxTree(SyntaxTree.fromText(files[name], name))
    out: dict[str, tuple[str, str]] = {}

    def walk(scope, path: str) -> None:
        for m in scope:
            if m.kind == SymbolKind.Parameter:
                out[f"{path}.{m.name}"] = (str(m.type), str(m.value))
            elif m.kind == SymbolKind.Instance:
                walk(m.body, f"{path}.{m.name}")
            elif m.kind == SymbolKind.GenerateBlock:
                walk(m, f"{path}.{m.name}")
            elif m.kind == SymbolKind.GenerateBlockArray:
                for i, block in enumerate(m):
                    walk(block, f"{path}.{m.name}[{i}]")

    for inst in comp.getRoot().topInstances:
        walk(inst.body, inst.name)
    return out


def parameters_unchanged(mutant: Mutant, files: dict[str, str]) -> bool:
    """A sound equivalence judgement: the edit is confined to parameter code and every elaborated parameter
    keeps its type and value, so both designs elaborate to the same hardware."""
    if not in_parameter_code(mutant, files):
        return False
    gold = elaborated_parameters(files)
    return bool(gold) and gold == elaborated_parameters(mutant.apply(files))


def prove_equivalent(original: dict[str, str], mutant: dict[str, str], top: str, workdir: Path,
                     timeout_s: float = 60.0, depth: int = 8) -> tuple[bool, str]:
    """Try a yosys sequential-equivalence proof (equiv_simple + equiv_induct); (proved, last lines of log).

    A False result means 'not proved', never 'different'.
    """
    from accelsmith import sandbox
    from accelsmith.verification._yosys import run_yosys

    workdir.mkdir(parents=True, exist_ok=True)
    for tag, files in (("gold", original), ("gate", mutant)):
        (workdir / f"{tag}.v").write_text("\n".join(files[n] for n in sorted(files)))
    deadline = time.monotonic() + timeout_s
    log: list[str] = []
    # First with internal names kept (equiv_make pairs registers by name, which equiv_induct needs); if some
    # $equiv cells stay unproven, again with internal names purged: then only the ports are paired, so a
    # named wire that differs but feeds nothing (a dead tie-off) no longer blocks the proof.
    for attempt, clean in enumerate(("opt_clean", "opt_clean -purge")):
        script = workdir / f"equiv{attempt}.ys"
        script.write_text(_YOSYS_EQUIV.format(gold="gold.v", gate="gate.v", top=top, depth=depth)
                          .replace("opt_clean\n", clean + "\n"))  # yowasp sees cwd only
        left = deadline - time.monotonic()
        if left <= 1:
            break
        out = run_yosys(script.name, workdir, left)
        if out.killed == "time":
            return False, f"yosys equivalence timed out after {timeout_s:.0f} s"
        log = sandbox.read_capped(out.log, 64 << 10).strip().splitlines()
        if out.ok:
            return True, "proved: all equiv cells proven" + (" (internal names purged)" if attempt else "")
    return False, "\n".join(log[-3:])


REVIEWED = "reviewed"   # detail prefix of a survivor judged equivalent by a written argument (not a proof)


def mutated_lines(mutant: Mutant, files: dict[str, str]) -> tuple[str, str]:
    """The source line(s) holding the edit, before and after it (stripped): a mutant's review key."""
    text = files[mutant.file]
    start = text.rfind("\n", 0, mutant.start) + 1
    end = text.find("\n", mutant.end)
    end = len(text) if end < 0 else end
    return text[start:end].strip(), (text[start:mutant.start] + mutant.replacement + text[mutant.end:end]).strip()


def reviewed_equivalents(file_names) -> dict[tuple[str, str, str], str]:
    """Reviewed equivalence arguments for template files: ``<stem>.equivalents.yaml`` beside ``<stem>.v`` in its
    template package, a list of ``{file, line, mutated, why}`` (``line``/``mutated``: the stripped source line
    before and after the edit, as :func:`mutated_lines` gives them). Keyed on the exact text, so any change to
    the line retires its entry. Returns {(file, line, mutated): why}."""
    import yaml

    from accelsmith import hw_templates

    out: dict[tuple[str, str, str], str] = {}
    root = Path(hw_templates.__file__).parent
    for name in sorted(set(file_names)):
        for path in sorted(root.glob(f"*/{Path(name).stem}.equivalents.yaml")):
            try:
                entries = yaml.safe_load(path.read_text()) or []
            except yaml.YAMLError as err:
                raise UsageError(f"{path.name}: not YAML ({str(err).splitlines()[0]})") from None
            for k, e in enumerate(entries):
                if not isinstance(e, dict) or set(e) != {"file", "line", "mutated", "why"} or not str(e["why"]).strip():
                    raise UsageError(f"{path.name}: entry {k + 1} needs exactly file, line, mutated and a non-empty why")
                if e["file"] == name:
                    out[(e["file"], str(e["line"]).strip(), str(e["mutated"]).strip())] = " ".join(str(e["why"]).split())
    return out


def _apply_reviews(results: list, files: dict[str, str]) -> None:
    """Survivors with a reviewed argument become 'equivalent' (detail 'reviewed: why'); run after bench and proofs."""
    reviews = reviewed_equivalents({r.mutant.file for r in results})
    for r in results:
        if r.status == "survived":
            why = reviews.get((r.mutant.file, *mutated_lines(r.mutant, files)))
            if why:
                r.status, r.detail = "equivalent", f"{REVIEWED}: {why}"


