"""The import graph of the accelsmith package: cycles, and the layer rule each import follows.

    .venv/bin/python bench/import_layers.py [--root DIR]

Reads every module's source (``ast``, nothing is imported), maps the top-level folders to their ``accelsmith.*``
names as setup.py does, and prints: modules, import edges (module-level and deferred, i.e. inside functions),
the import cycles among modules (strongly connected components of two or more, module-level edges and all
edges), and every edge that breaks a layer rule (``LAYERS``). Exit 1 on a broken rule.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

FOLDERS = {"accelsmith": "accelsmith", "agents": "accelsmith.agents", "prompts": "accelsmith.prompts",
           "hw_templates": "accelsmith.hw_templates", "verification": "accelsmith.verification",
           "model_opt": "accelsmith.model_opt"}

# layer -> the module prefixes in it; a module belongs to the longest prefix that names it
LAYER_OF = {
    "accelsmith": "core", "accelsmith.kinds": "core",
    "accelsmith.cli": "shell", "accelsmith.review": "shell", "accelsmith._cli_options": "shell",
    "accelsmith.hw_templates": "designer", "accelsmith.prompts": "designer",
    "accelsmith.verification": "judge", "accelsmith.verification.campaigns": "campaigns",
    "accelsmith.verification.cli": "shell", "accelsmith.agents.cli": "shell", "accelsmith.model_opt.cli": "shell",
    "accelsmith.agents": "agents", "accelsmith.model_opt": "model_opt",
}
# what each layer may import (besides itself)
LAYERS = {
    "core": set(),
    "designer": {"core"},
    "judge": {"core"},
    "campaigns": {"core", "judge", "designer"},
    "model_opt": {"core"},
    "agents": {"core", "judge", "designer", "campaigns", "model_opt"},
    "shell": {"core", "judge", "designer", "campaigns", "model_opt", "agents"},
}


def layer(module: str) -> str:
    best = max((p for p in LAYER_OF if module == p or module.startswith(p + ".")), key=len)
    return LAYER_OF[best]


def modules(root: Path) -> dict[str, Path]:
    out = {}
    for folder, pkg in FOLDERS.items():
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            if any(p.startswith(".") for p in parts):
                continue
            out[".".join([pkg, *parts])] = path
    return out


def edges(mods: dict[str, Path]) -> list[tuple[str, str, bool, int]]:
    """(importer, imported, deferred, line) for every import of an accelsmith module."""
    found = []
    for name, path in mods.items():
        tree = ast.parse(path.read_text(), str(path))
        is_pkg = path.name == "__init__.py"
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = ".".join(pkg[:len(pkg) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else:
                continue
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != name and t.startswith("accelsmith"):
                    found.append((name, t, id(node) not in top and not _in_type_checking(tree, node), node.lineno))
    return found


def _in_type_checking(tree: ast.Module, node: ast.AST) -> bool:
    for n in tree.body:
        if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test):
            if any(node is c for c in ast.walk(n)):
                return True
    return False


def cycles(nodes: list[str], pairs: list[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components of two or more modules (Tarjan)."""
    graph: dict[str, set[str]] = {n: set() for n in nodes}
    for a, b in pairs:
        graph[a].add(b)
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for n in nodes:
        if n not in index:
            visit(n)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = ap.parse_args()
    mods = modules(args.root)
    es = edges(mods)
    own = [(a, b) for a, b, _, _ in es]
    top = [(a, b) for a, b, d, _ in es if not d]
    print(f"{len(mods)} modules, {len(es)} import edges ({sum(d for *_, d, _ in es)} deferred)")
    for label, pairs in (("module-level", top), ("all, deferred too", own)):
        cs = cycles(list(mods), pairs)
        print(f"import cycles ({label}): {len(cs)}" + "".join(f"\n  {len(c)} modules: {', '.join(c)}" for c in cs))
    broken = sorted({(a, b, line) for a, b, _, line in es
                     if layer(b) != layer(a) and layer(b) not in LAYERS[layer(a)]})
    print(f"layer rule broken by {len(broken)} imports" +
          "".join(f"\n  {mods[a].relative_to(args.root)}:{line}: {a} ({layer(a)}) imports {b} ({layer(b)})"
                  for a, b, line in broken))
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
