"""Mutation testing of a template's RTL: how much of the RTL's behaviour does its derived bench pin down?

``generate_mutants`` makes single-edit mutants (operator flips, constant and width changes, inverted
conditions, stuck ready/valid, swapped port connections); ``mutate`` runs the bench on each with
Icarus in parallel, then tries a yosys sequential-equivalence proof on every survivor. Mutants that
do not build are stillborn; proved-equivalent ones leave the denominator; nothing is assumed equivalent.
"""

from __future__ import annotations

import random
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from accelsmith.spec import BlockSpec
from accelsmith.verification._derive import derive
from accelsmith.verification._sim import run_bench


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    line: int
    operator: str
    original: str
    replacement: str
    start: int   # character offset of the edit in the file
    end: int

    def apply(self, files: dict[str, str]) -> dict[str, str]:
        text = files[self.file]
        return {**files, self.file: text[: self.start] + self.replacement + text[self.end:]}

    def describe(self) -> str:
        return f"{self.file}:{self.line} {self.operator}: {self.original.strip()!r} -> {self.replacement.strip()!r}"


_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_BINARY_FLIPS = {"&&": "||", "||": "&&", "==": "!=", "!=": "==", "+": "-", "-": "+", ">=": ">", ">": ">=",
                 "<": "<=", "&": "|", "|": "&", "^": "~^", ">>>": ">>", "<<": ">>", ">>": "<<"}
# a binary operator surrounded by spaces (the templates' style); '<=' is left alone (non-blocking assignment)
_BINARY = re.compile(r"(?<=\s)(&&|\|\||==|!=|>>>|<<|>>|>=|>|<|\+|-|&|\||\^)(?=\s)")
_SIZED = re.compile(r"\b(\d+)'(s?)([bdh])([0-9a-fA-F]+)\b")
_BARE_INT = re.compile(r"(?<![\w'.])(\d+)(?![\w'])")
_DECL_WIDTH = re.compile(r"^\s*(?:wire|reg)\b[^;\[]*\[([^\]:]+):0\]")
_IF = re.compile(r"\bif\s*\(")
_HANDSHAKE = re.compile(r"^\s*assign\s+(\w*(?:ready|valid))\s*=\s*([^;]+);")
_PORT_CONN = re.compile(r"\.(\w+)\(([^()]*)\)")


def _blank_comments(text: str) -> str:
    """Comments replaced by spaces of the same length, so offsets and lines still match the source."""
    return _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _brackets_mask(code: str) -> list[bool]:
    """True at offsets inside [...] (part-selects and ranges: mutated as widths, not as operators)."""
    mask, depth = [], 0
    for ch in code:
        depth += ch == "["
        mask.append(depth > 0)
        depth -= ch == "]" and depth > 0
    return mask


def _balanced(code: str, open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(code)):
        depth += {"(": 1, ")": -1}.get(code[k], 0)
        if depth == 0:
            return k
    return -1


def _edits(name: str, code: str) -> list[tuple[str, int, int, str]]:
    """(operator, start, end, replacement) for every mutation point of one file."""
    out: list[tuple[str, int, int, str]] = []
    inside = _brackets_mask(code)
    # parameter defaults are always overridden by the generated top; loop headers only hang the compiler
    skip_lines = {i for i, ln in enumerate(code.splitlines())
                  if re.match(r"\s*(parameter|module|genvar|integer|`)", ln) or re.search(r"\bfor\s*\(", ln)}
    line_of = [0]
    for ch in code:
        line_of.append(line_of[-1] + (ch == "\n"))

    def ok(pos: int) -> bool:
        return line_of[pos] not in skip_lines and not inside[pos]

    for m in _BINARY.finditer(code):
        if ok(m.start()):
            out.append(("operator_flip", m.start(), m.end(), _BINARY_FLIPS[m.group(1)]))
    for m in re.finditer(r"(?<![!=<>])!(?!=)|~(?![&|^])", code):
        if ok(m.start()):
            out.append(("negation_drop", m.start(), m.end(), ""))
    for m in _SIZED.finditer(code):
        if not ok(m.start()):
            continue
        width, sign, base, digits = m.groups()
        value = int(digits, {"b": 2, "d": 10, "h": 16}[base])
        new = (value + 1) % (1 << int(width))
        out.append(("constant_change", m.start(), m.end(), f"{width}'{sign}d{new}"))
    for m in _BARE_INT.finditer(code):
        if ok(m.start()) and not code[: m.start()].rstrip().endswith(("#", "+:")):
            out.append(("constant_change", m.start(), m.end(), str(int(m.group(1)) + 1)))
    offset = 0
    for ln in code.splitlines(keepends=True):
        dm = _DECL_WIDTH.match(ln)
        if dm and line_of[offset] not in skip_lines:
            out.append(("width_change", offset + dm.start(1), offset + dm.end(1), f"({dm.group(1)})-1"))
        hm = _HANDSHAKE.match(ln)
        if hm:
            for stuck in ("1'b1", "1'b0"):
                out.append(("stuck_handshake", offset + hm.start(2), offset + hm.end(2), stuck))
        offset += len(ln)
    for m in _IF.finditer(code):
        close = _balanced(code, m.end() - 1)
        if close > 0 and ok(m.start()):
            out.append(("inverted_condition", m.end() - 1, close + 1, f"(!{code[m.end() - 1:close + 1]})"))
    conns = [m for m in _PORT_CONN.finditer(code) if ok(m.start())]
    for a, b in zip(conns, conns[1:]):
        if a.group(2).strip() and b.group(2).strip() and "\n" not in code[a.end():b.start()].strip(", "):
            span = code[a.start(): b.end()]
            swapped = span.replace(f"({a.group(2)})", "(\0)", 1).replace(f"({b.group(2)})", f"({a.group(2)})", 1)
            out.append(("swapped_ports", a.start(), b.end(), swapped.replace("(\0)", f"({b.group(2)})")))
    return out


# Bug classes: the slips people make in ready/valid RTL (a register left out of reset, valid waiting for ready,
# idle-cycle data taken, a stall ignored), as operators on any RTL. Reported apart from the classic operators.
BUG_CLASS_OPERATORS = frozenset({"reset_removal", "valid_waits_ready", "idle_enable", "stall_ignored"})
_RESET_IF = re.compile(r"\bif\s*\(\s*(?:!|~)\s*(\w*(?:rst|reset)\w*)\s*\)")
_NB_ASSIGN = re.compile(r"\b([A-Za-z_]\w*)(?:\s*\[[^\]]*\])*\s*<=\s*([^;]+);")
_PORT = re.compile(r"\b(input|output)\s+(?:wire\s+|reg\s+|logic\s+)?(?:signed\s+)?(?:\[[^\]]*\]\s*)?(\w+)")
_ZERO = re.compile(r"\s*(?:\d*'[bdh]0+|0|'0|1'b0)\s*")


def _paren_depth(code: str) -> list[int]:
    depth, out = 0, []
    for ch in code:
        depth += ch == "("
        out.append(depth)
        depth -= ch == ")" and depth > 0
    return out


def _statement_end(code: str, at: int, depth: list[int]) -> int:
    """End offset (exclusive) of the statement starting at ``at``: a begin/end block or up to its ';'."""
    m = re.compile(r"\s*begin\b").match(code, at)
    if m:
        level = 0
        for w in re.finditer(r"\b(begin|end)\b", code[at:]):
            level += 1 if w.group(1) == "begin" else -1
            if level == 0:
                return at + w.end()
        return -1
    semi = at
    while semi < len(code) and not (code[semi] == ";" and depth[semi] == depth[at]):
        semi += 1
    return semi + 1 if semi < len(code) else -1


def _drop_statement(code: str, start: int, end: int) -> tuple[int, int, str]:
    """(start, end, replacement) deleting the statement: its whole line when it stands alone, and an empty
    ``begin end`` where the statement is the body of an if/else/for/case item (not one of a block's statements)."""
    before = code[:start].rstrip()
    if not (before.endswith(";") or re.search(r"\b(begin|end)$", before)):
        return start, end, "begin end"
    line_start = code.rfind("\n", 0, start) + 1
    line_end = code.find("\n", end)
    if not code[line_start:start].strip() and not code[end:line_end if line_end >= 0 else len(code)].strip():
        return line_start, (line_end + 1 if line_end >= 0 else len(code)), ""
    return start, end, ""


def _handshakes(code: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(source pairs, sink pairs) of (valid, ready) port names: a source's valid is an input, a sink's an output."""
    ports = {m.group(2): m.group(1) for m in _PORT.finditer(code)}
    source, sink = [], []
    for name, direction in ports.items():
        if name.endswith("valid") and (ready := name[: -len("valid")] + "ready") in ports:
            if direction == "input" and ports[ready] == "output":
                source.append((name, ready))
            elif direction == "output" and ports[ready] == "input":
                sink.append((name, ready))
    return source, sink


def _bug_class_edits(code: str) -> list[tuple[str, int, int, str]]:
    """(operator, start, end, replacement) for every bug-class mutation point of one file."""
    out: list[tuple[str, int, int, str]] = []
    depth = _paren_depth(code)
    decl = {i for i, ln in enumerate(code.splitlines()) if re.match(r"\s*(input|output|inout|module|parameter)\b", ln)}
    line_of = [0]
    for ch in code:
        line_of.append(line_of[-1] + (ch == "\n"))
    # reset_removal: one register's assignment dropped from a reset branch (it keeps its value across reset)
    for m in _RESET_IF.finditer(code):
        body_end = _statement_end(code, m.end(), depth)
        for a in _NB_ASSIGN.finditer(code, m.end(), max(body_end, m.end())):
            if depth[a.start()] == depth[m.start()]:  # a statement, not a '<=' inside a condition or loop header
                out.append(("reset_removal", *_drop_statement(code, a.start(), a.end())))
    source, sink = _handshakes(code)
    for valid, ready in sink:  # valid_waits_ready: an output valid, assigned or registered, gated by its ready
        for m in re.finditer(rf"\bassign\s+{valid}\s*=\s*([^;]+);", code):
            out.append(("valid_waits_ready", m.start(1), m.end(1), f"({m.group(1).strip()}) && {ready}"))
        for m in re.finditer(rf"\b{valid}\s*<=\s*([^;]+);", code):
            if depth[m.start()] == 0 and not _ZERO.fullmatch(m.group(1)):
                out.append(("valid_waits_ready", m.start(1), m.end(1), f"({m.group(1).strip()}) && {ready}"))
    for valid, ready in source:  # idle_enable: an accept term loses its valid: idle-cycle data is taken
        pair = re.compile(rf"\b{valid}\s*&&\s*{ready}\b|\b{ready}\s*&&\s*{valid}\b")
        fires = {f.group(1) for f in re.finditer(rf"\b(?:wire|assign)\s+(\w+)\s*=\s*\(?\s*(?:{pair.pattern})\s*\)?\s*;", code)}
        for m in pair.finditer(code):
            out.append(("idle_enable", m.start(), m.end(), ready))
        for f in fires:
            for m in re.finditer(rf"\b{f}\b", code):
                if not re.match(r"\s*=[^=]", code[m.end():]) and not re.search(r"\bwire\s*$", code[:m.start()]):
                    out.append(("idle_enable", m.start(), m.end(), ready))
    for valid, ready in sink:  # stall_ignored: one use of the sink's ready taken as always high
        for m in re.finditer(rf"\b{ready}\b", code):
            in_port_conn = code[m.start() - 1] == "." or re.search(r"\.\w+\s*\(\s*$", code[:m.start()])
            if line_of[m.start()] not in decl and not in_port_conn:  # a port's name and its connection stay
                out.append(("stall_ignored", m.start(), m.end(), "1'b1"))
    return list(dict.fromkeys(out))  # a fire wire's use can also be a valid && ready pair's: one mutant each


def generate_mutants(files: dict[str, str], *, max_mutants: int | None = None, seed: int = 0) -> list[Mutant]:
    """Every single-edit mutant of the bundle (or a deterministic sample stratified by operator).

    Classic mutants come first, file by file, then the bug-class ones (``BUG_CLASS_OPERATORS``), so the classic
    mutants keep the ids they had before the bug classes existed."""
    mutants = []
    for edits in (_edits, lambda name, code: _bug_class_edits(code)):
        for name in sorted(files):
            text = files[name]
            code = _blank_comments(text)
            for op, start, end, repl in edits(name, code):
                original = text[start:end]
                if original == repl:
                    continue
                line = text.count("\n", 0, start) + 1
                mutants.append(Mutant(f"m{len(mutants):04d}", name, line, op, original, repl, start, end))
    if max_mutants is not None and len(mutants) > max_mutants:
        rng = random.Random(seed)
        by_op: dict[str, list[Mutant]] = {}
        for m in mutants:
            by_op.setdefault(m.operator, []).append(m)
        for group in by_op.values():
            rng.shuffle(group)
        picked: list[Mutant] = []
        while len(picked) < max_mutants:  # round-robin over operators keeps every kind represented
            for group in by_op.values():
                if group and len(picked) < max_mutants:
                    picked.append(group.pop())
        mutants = sorted(picked, key=lambda m: m.id)
    return mutants


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
    from accelsmith.verification._ppa import run_yosys

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
                raise ValueError(f"{path.name}: not YAML ({str(err).splitlines()[0]})") from None
            for k, e in enumerate(entries):
                if not isinstance(e, dict) or set(e) != {"file", "line", "mutated", "why"} or not str(e["why"]).strip():
                    raise ValueError(f"{path.name}: entry {k + 1} needs exactly file, line, mutated and a non-empty why")
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


@dataclass
class MutantResult:
    mutant: Mutant
    status: str            # killed | survived | stillborn | equivalent
    detail: str = ""
    seconds: float = 0.0


def _run_one(mutant: Mutant, files: dict[str, str], top: str, plan, root: Path, timeout_s: float) -> MutantResult:
    t0 = time.perf_counter()
    folder = root / mutant.id
    rtl = folder / "rtl"
    rtl.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in mutant.apply(files).items():
        (rtl / name).write_text(text)
        paths.append(rtl / name)
    res = run_bench(paths, top, plan, folder / "bench", sim="icarus", timeout_s=timeout_s, fail_fast=True,
                    use_cache=False)  # a mutant is built once; caching it would only fill the disk
    dt = time.perf_counter() - t0
    shutil.rmtree(folder, ignore_errors=True)  # sim folders are large; results are in memory
    if not res.built:
        return MutantResult(mutant, "stillborn", "; ".join(d.message for d in res.diagnostics[:1]), dt)
    if res.timed_out:
        return MutantResult(mutant, "killed", "wall-clock timeout", dt)
    failed = [c["case"] for c in res.cases if not c["passed"] and not c.get("skipped_after")]
    return MutantResult(mutant, "killed" if failed else "survived", ",".join(failed[:3]), dt)


def mutate(spec: BlockSpec, *, jobs: int = 2, max_mutants: int | None = 150, timeout_s: float = 120.0,
           workdir: Path | None = None, prove: bool = True, progress=None, only: list[str] | None = None) -> dict:
    """Mutation-test ``spec``'s template with its derived bench on Icarus; returns the report dict.

    ``only``: mutant ids (as in an earlier full report) to re-run, e.g. the survivors after a plan change.
    """
    from accelsmith import hw_templates

    bundle = hw_templates.get(spec.kind).render(spec)
    plan = derive(spec)
    root = Path(workdir or tempfile.mkdtemp(prefix="accelsmith_mutate_"))
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    baseline = run_bench(bundle.write(root / "orig" / "rtl"), bundle.top, plan, root / "orig" / "bench",
                         sim="icarus", timeout_s=timeout_s)
    if not baseline.passed:
        raise RuntimeError(f"the unmutated {spec.kind} design fails its own bench: {baseline.summary()}")
    mutants = generate_mutants(bundle.files, max_mutants=None if only else max_mutants, seed=spec.seed)
    if only:
        mutants = [m for m in mutants if m.id in set(only)]
    results: list[MutantResult] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each bench is its own process; threads only wait
        futures = [pool.submit(_run_one, m, bundle.files, bundle.top, plan, root, timeout_s) for m in mutants]
        for fut in futures:
            results.append(fut.result())
            if progress:
                progress(results[-1])
    for r in results:  # cheap and sound first: an edit that changes no elaborated parameter changes nothing
        if r.status == "survived" and parameters_unchanged(r.mutant, bundle.files):
            r.status, r.detail = "equivalent", PARAMS_UNCHANGED
    if prove:  # survivors only; each proof is its own yosys process, so they run in parallel too
        survivors = [r for r in results if r.status == "survived"]

        def _prove(r: MutantResult) -> tuple[bool, str]:
            return prove_equivalent(bundle.files, r.mutant.apply(bundle.files), bundle.top, root / "equiv" / r.mutant.id)

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for r, (proved, log) in zip(survivors, pool.map(_prove, survivors)):
                if proved:
                    r.status, r.detail = "equivalent", "yosys equiv_simple/equiv_induct proved all outputs equal"
                else:
                    r.detail = f"equivalence not proved: {log.splitlines()[-1] if log else ''}"
    _apply_reviews(results, bundle.files)
    if workdir is None:  # results are in memory; the temporary folder holds only builds and proofs
        shutil.rmtree(root, ignore_errors=True)
    return _report(spec, results, time.perf_counter() - t0)


def _key(m: Mutant) -> tuple[str, int, int, str]:
    return (m.file, m.start, m.end, m.replacement)


def mutate_across(specs: list[BlockSpec], *, jobs: int = 2, timeout_s: float = 120.0, workdir: Path | None = None,
                  progress=None, known: dict[str, str] | None = None, only: list[str] | None = None,
                  prove: bool = False, prove_timeout_s: float = 120.0) -> dict:
    """Mutation-test one template over several specs (e.g. its regression grid): the template's verification.

    Only the template's own RTL is mutated: the files that render to the same text for every spec (the
    generated per-spec top is left to :func:`mutate`). Specs run in order, each only on the mutants that no
    earlier spec killed, so a mutant survives only when every spec's bench passes it; a survivor is judged
    equivalent only when ``parameters_unchanged`` holds, or (``prove``) yosys proves it, for every spec, so
    "equivalent" means equivalent over these specs, as "killed" means killed by one of them. ``known`` maps mutant ids of an
    earlier :func:`mutate` run on ``specs[0]`` (ids over that spec's whole bundle) to their status, so its
    killed and stillborn mutants are not run again; ``only`` restricts the run to these template mutant ids.
    """
    from accelsmith import hw_templates

    if not specs or len({s.kind for s in specs}) != 1:
        raise ValueError("mutate_across needs one or more specs of one kind")
    bundles = [hw_templates.get(s.kind).render(s) for s in specs]
    shared = sorted(n for n in bundles[0].files if all(b.files.get(n) == bundles[0].files[n] for b in bundles))
    if not shared:
        raise ValueError(f"no {specs[0].kind} RTL file renders the same for every spec")
    mutants = generate_mutants({n: bundles[0].files[n] for n in shared})
    if only is not None:
        mutants = [m for m in mutants if m.id in set(only)]
    first_ids = {_key(m): m.id for m in generate_mutants(bundles[0].files, seed=specs[0].seed)}
    root = Path(workdir or tempfile.mkdtemp(prefix="accelsmith_mutate_"))
    t0 = time.perf_counter()
    status: dict[str, str] = {}
    detail: dict[str, str] = {}
    killer: dict[str, str] = {}   # mutant id -> label of the spec whose bench killed it
    stillborn: dict[str, list[str]] = {m.id: [] for m in mutants}
    for m in mutants:
        prior = (known or {}).get(first_ids.get(_key(m), ""))
        if prior == "killed":
            status[m.id], detail[m.id], killer[m.id] = "killed", f"{specs[0].label} (earlier run)", specs[0].label
        elif prior == "stillborn":
            stillborn[m.id].append(specs[0].label)
    for i, (spec, bundle) in enumerate(zip(specs, bundles)):
        todo = [m for m in mutants if m.id not in status and not (i == 0 and (known or {}).get(first_ids.get(_key(m), "")))]
        if not todo:
            continue
        plan = derive(spec)
        sroot = root / f"s{i}"
        tb = time.perf_counter()
        baseline = run_bench(bundle.write(sroot / "orig" / "rtl"), bundle.top, plan, sroot / "orig" / "bench",
                             sim="icarus", timeout_s=max(timeout_s, 600.0))
        if not baseline.passed:
            raise RuntimeError(f"the unmutated {spec.kind} design fails its own bench for {spec.label}: "
                               f"{baseline.summary()}")
        limit = max(timeout_s, 3 * (time.perf_counter() - tb))  # a mutant 3x slower than the original is hung
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [(m, pool.submit(_run_one, m, bundle.files, bundle.top, plan, sroot, limit)) for m in todo]
            for m, fut in futures:
                r = fut.result()
                if r.status == "killed":
                    status[m.id], detail[m.id], killer[m.id] = "killed", f"{spec.label}: {r.detail}", spec.label
                elif r.status == "stillborn":
                    stillborn[m.id].append(spec.label)
                    detail.setdefault(m.id, r.detail)
                if progress:
                    progress(spec, r)
    results = []
    for m in mutants:
        st = status.get(m.id)
        if st is None:
            ran_and_built = len(stillborn[m.id]) < len(specs)
            st = "survived" if ran_and_built else "stillborn"
            if st == "survived":
                detail[m.id] = f"passed {len(specs) - len(stillborn[m.id])} spec(s)"
                if all(parameters_unchanged(m, b.files) for b in bundles):
                    st, detail[m.id] = "equivalent", PARAMS_UNCHANGED + f", for all {len(specs)} specs"
        results.append(MutantResult(m, st, detail.get(m.id, "")))
    if prove:
        survivors = [r for r in results if r.status == "survived"]

        def _prove(r: MutantResult) -> str:
            for i, b in enumerate(bundles):
                ok, log = prove_equivalent(b.files, r.mutant.apply(b.files), b.top, root / "equiv" / f"{r.mutant.id}_s{i}",
                                           timeout_s=prove_timeout_s)
                if not ok:
                    return f"equivalence not proved for {specs[i].label}: {log.splitlines()[-1] if log else ''}"
            return ""

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for r, why in zip(survivors, pool.map(_prove, survivors)):
                if why:
                    r.detail += f"; {why}"
                else:
                    r.status, r.detail = "equivalent", f"yosys equiv_simple/equiv_induct proved for all {len(specs)} specs"
    _apply_reviews(results, bundles[0].files)
    report = _report(specs[0], results, time.perf_counter() - t0)
    report.update(spec=", ".join(s.label for s in specs), summary=f"{len(specs)} specs, files {', '.join(shared)}",
                  specs=[s.label for s in specs], files=shared,
                  killed_by_spec={s.label: sum(k == s.label for k in killer.values()) for s in specs})
    if workdir is None:  # the bench folders are gone already; drop the proofs' too
        shutil.rmtree(root, ignore_errors=True)
    return report


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
