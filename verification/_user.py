"""A user's own RTL (``accelsmith verify``, ``regress --designs``): read safely, its top module found, and the
designs file that lists (spec, RTL) pairs for regression."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from accelsmith.errors import UsageError
from accelsmith.spec import BlockSpec
from accelsmith.verification._security import MAX_FILE_BYTES

_MODULE = re.compile(r"^[ \t]*module\s+([A-Za-z_][A-Za-z0-9_$]*)", re.M)


def module_names(text: str) -> list[str]:
    """Module names defined in ``text`` (comments and strings removed first, by the scan's lexer)."""
    from accelsmith.verification._security import code_only

    return _MODULE.findall(code_only(text))


def load_user_rtl(paths: list, top: str | None, kind: str) -> tuple[dict[str, str], str]:
    """(files, top) for ``accelsmith verify``: the user's files read as plain names, and the top module (``top``,
    else the kind's usual top name when one of the files defines it, else the only module). Raises ValueError
    with one line on a missing, duplicate, oversized or unreadable file or an ambiguous top."""
    files: dict[str, str] = {}
    for p in map(Path, paths):
        if not p.is_file():
            raise UsageError(f"{p}: RTL file not found (or not a regular file)")
        if p.suffix not in (".v", ".sv", ".vh", ".svh"):
            raise UsageError(f"{p}: not a Verilog file (.v, .sv, .vh or .svh)")
        if p.name in files:
            raise UsageError(f"{p}: two files named {p.name!r}; the run folder keeps files by name")
        if p.stat().st_size > MAX_FILE_BYTES:
            raise UsageError(f"{p}: {p.stat().st_size:,} bytes, over the per-file limit of {MAX_FILE_BYTES:,}")
        files[p.name] = p.read_bytes().decode("utf-8", errors="replace")
    modules = [m for text in files.values() for m in module_names(text)]
    if top:
        if top not in modules:
            raise UsageError(f"no module named {top!r} in {', '.join(files)} (modules: {', '.join(modules) or 'none'})")
        return files, top
    text = "\n".join(files.values())
    # the roots of the hierarchy: modules no other module instantiates (the name appears only where it is defined)
    roots = [m for m in dict.fromkeys(modules)
             if len(re.findall(rf"\b{re.escape(m)}\b", text)) - len(re.findall(rf"endmodule\s*:\s*{re.escape(m)}\b", text)) == 1]
    if len(roots) == 1:
        return files, roots[0]
    usual = f"{kind}_top"
    if usual in modules:
        return files, usual
    raise UsageError(f"{len(modules)} modules in {', '.join(files)} ({', '.join(modules[:8]) or 'none'}): "
                     f"name the one the bench drives with --top")


@dataclass(frozen=True)
class UserDesign:
    """One (spec, RTL) pair of a designs file, re-verified by ``regress`` beside the templates."""

    name: str
    spec: BlockSpec
    files: dict[str, str]
    top: str


def load_designs(path: Path) -> list[UserDesign]:
    """A designs file (YAML): ``designs: [{spec: SPEC.yaml, rtl: [FILE.v, ...], top: NAME?, name: NAME?}]``, paths
    relative to the file. Raises ValueError naming the file, the entry and what is wrong, in one line."""
    import yaml

    from accelsmith.errors import SpecError
    from accelsmith.spec import load_spec

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: designs file not found")
    if path.stat().st_size > 1 << 20:
        raise UsageError(f"{path}: over 1 MiB; a designs file lists paths, not designs")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise UsageError(f"{path}: not a YAML designs file ({str(err).splitlines()[0]})") from None
    entries = doc.get("designs") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise UsageError(f"{path}: expected 'designs:' with a list of {{spec, rtl, top}} entries")
    out, names = [], set()
    for i, e in enumerate(entries, 1):
        where = f"{path}: design {i}"
        if not isinstance(e, dict) or not isinstance(e.get("spec"), str) or not isinstance(e.get("rtl"), list) \
                or not e["rtl"] or not all(isinstance(r, str) for r in e["rtl"]):
            raise UsageError(f"{where}: needs 'spec: FILE' and 'rtl: [FILE, ...]'")
        unknown = set(e) - {"spec", "rtl", "top", "name"}
        if unknown:
            raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        try:
            spec = load_spec(path.parent / e["spec"])
            files, top = load_user_rtl([path.parent / r for r in e["rtl"]], e.get("top"), spec.kind)
        except (SpecError, ValueError) as err:
            raise UsageError(f"{where}: {str(err).splitlines()[0]}") from None
        name = str(e.get("name") or Path(e["spec"]).stem)
        if name in names:
            raise UsageError(f"{where}: a second design named {name!r}; give each a unique 'name'")
        names.add(name)
        out.append(UserDesign(name=name, spec=spec, files=files, top=top))
    return out
