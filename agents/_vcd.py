"""A small VCD reader: value changes of chosen signals, and a window around a clock cycle."""

from __future__ import annotations

import re
from pathlib import Path

_TIMESCALE = re.compile(r"\$timescale\s+(\S+?)\s*(\w*)\s*\$end", re.S)


def read_vcd(path: Path, wanted: set[str]) -> tuple[dict[str, list[tuple[int, str]]], str]:
    """{port name: [(time, value)]} for the shallowest scope holding each wanted name; and the timescale."""
    text = Path(path).read_text(errors="replace")  # the caller caps the size (failure_window: 128 MiB)
    head, _, body = text.partition("$enddefinitions")
    ts = _TIMESCALE.search(head)
    timescale = "".join(ts.groups()) if ts else "1ps"
    scope: list[str] = []
    chosen: dict[str, tuple[int, str]] = {}   # name -> (depth, id)
    for tok in re.finditer(r"\$scope\s+\w+\s+(\S+)\s+\$end|\$upscope\s+\$end|\$var\s+\w+\s+\d+\s+(\S+)\s+(\S+)", head):
        if tok.group(1):
            scope.append(tok.group(1))
        elif tok.group(0).startswith("$upscope"):
            scope and scope.pop()
        else:
            ident, name = tok.group(2), tok.group(3)
            if name in wanted and (name not in chosen or len(scope) < chosen[name][0]):
                chosen[name] = (len(scope), ident)
    by_id: dict[str, list[str]] = {}
    for name, (_, ident) in chosen.items():
        by_id.setdefault(ident, []).append(name)
    changes: dict[str, list[tuple[int, str]]] = {name: [] for name in chosen}
    t = 0
    for line in body.splitlines():
        line = line.strip()
        if not line or line.startswith("$"):
            continue
        if line[0] == "#":
            try:
                t = int(line[1:])
            except ValueError:  # a malformed dump (untrusted output): skip the line, keep the rest
                continue
        elif line[0] in "bBrR":
            value, _, ident = line[1:].partition(" ")
            for name in by_id.get(ident.strip(), []):
                changes[name].append((t, value))
        elif line[0] in "01xXzZ":
            for name in by_id.get(line[1:], []):
                changes[name].append((t, line[0]))
    return changes, timescale


def _pretty(value: str) -> str:
    if len(value) == 1 or any(c in value for c in "xXzZ"):
        return value
    try:
        return f"'h{int(value, 2):x}"
    except ValueError:
        return value


def rising_edges(changes: list[tuple[int, str]]) -> list[int]:
    return [t for (t, v), (_, prev) in zip(changes[1:], changes) if v == "1" and prev != "1"]


def window_around_cycle(changes: dict[str, list[tuple[int, str]]], clock: str, reset_n: str, cycle: int,
                        before: int = 6, after: int = 2) -> tuple[int, int, dict[str, list[list]]]:
    """Value changes between ``before`` clock edges ahead of bench cycle ``cycle`` and ``after`` edges past it.

    Bench cycle n is the n-th rising clock edge after reset is released.
    """
    edges = rising_edges(changes.get(clock, []))
    release = next((t for t, v in changes.get(reset_n, []) if v == "1"), 0)
    after_reset = [e for e in edges if e > release] or edges or [0]
    idx = max(0, min(len(after_reset) - 1, cycle - 1))
    t_start = after_reset[max(0, idx - before)]
    t_end = after_reset[min(len(after_reset) - 1, idx + after)]
    out: dict[str, list[list]] = {}
    for name, ch in changes.items():
        if name == clock:
            continue
        initial = [c for c in ch if c[0] <= t_start][-1:]
        inside = [c for c in ch if t_start < c[0] <= t_end]
        out[name] = [[max(t, t_start), _pretty(v)] for t, v in initial + inside]
    return t_start, t_end, out
