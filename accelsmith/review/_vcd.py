"""The first failing waveform window: ``iter_NN/failure_window.json`` when a run has one, else any VCD in the run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MAX_SIGNALS = 16
MAX_TOKENS = 2_000_000  # stop parsing a huge dump instead of hanging the page
WINDOW_PERIODS = (4, 20)  # clock periods shown before / after the first output beat


@dataclass
class Window:
    source: str          # path relative to the run folder
    sim: str | None
    case: str | None
    t_start: int
    t_end: int
    timescale: str
    signals: dict[str, list[tuple[int, str]]]  # name -> [(time, value as text)], sorted by time
    widths: dict[str, int]


def from_failure_json(path: Path, rel: str, problems: list[str]) -> Window | None:
    from accelsmith.review._load import MAX_TEXT_BYTES, read_bytes_safe

    try:
        raw = read_bytes_safe(path, MAX_TEXT_BYTES)
        if raw is None:
            raise ValueError("not a regular file inside the run store")
        data = json.loads(raw.decode(errors="replace"))
        sigs = {str(name): [(int(t), str(v)) for t, v in changes] for name, changes in data["signals"].items()}
        t0, t1 = int(data["t_start"]), int(data["t_end"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        problems.append(f"{rel}: unusable failure window ({type(err).__name__}: {err})")
        return None
    widths = {n: max((len(v) for _, v in ch), default=1) for n, ch in sigs.items()}
    return Window(source=str(data.get("vcd") or rel), sim=data.get("sim"), case=data.get("case"),
                  t_start=t0, t_end=max(t1, t0 + 1), timescale=str(data.get("timescale", "")),
                  signals=sigs, widths=widths)


def _value(v) -> str:
    return format(v, "b") if isinstance(v, int) else str(v)


def from_vcd(path: Path, rel: str, problems: list[str]) -> Window | None:
    """Parses the shallowest scope that declares signals (the DUT's ports in Verilator and Icarus dumps)."""
    from vcd.reader import TokenKind, tokenize

    depth, best_depth, scope_vars = 0, None, {}
    scope_no, best_scope = 0, None  # only the first scope at the shallowest depth: its twin would double every edge
    ids: dict[str, str] = {}
    widths: dict[str, int] = {}
    changes: dict[str, list[tuple[int, str]]] = {}
    timescale, now = "", 0
    from accelsmith.review._load import inside

    if not inside(path):
        problems.append(f"{rel}: not a regular file inside the run store; waveform not shown")
        return None
    try:
        with path.open("rb") as fh:
            for i, tok in enumerate(tokenize(fh)):
                if i > MAX_TOKENS:
                    problems.append(f"{rel}: more than {MAX_TOKENS} tokens, waveform cut short")
                    break
                k = tok.kind
                if k is TokenKind.TIMESCALE:
                    timescale = f"{getattr(tok.data.magnitude, 'value', tok.data.magnitude)}{tok.data.unit.value}"
                elif k is TokenKind.SCOPE:
                    depth, scope_no = depth + 1, scope_no + 1
                elif k is TokenKind.UPSCOPE:
                    depth -= 1
                elif k is TokenKind.VAR and (best_depth is None or depth < best_depth or scope_no == best_scope):
                    if best_depth is None or depth < best_depth:
                        best_depth, best_scope, scope_vars = depth, scope_no, {}
                    if len(scope_vars) < MAX_SIGNALS:
                        scope_vars.setdefault(tok.data.id_code, (tok.data.reference, tok.data.size or 1))
                elif k is TokenKind.ENDDEFINITIONS:
                    ids = {code: name for code, (name, _) in scope_vars.items()}
                    widths = {name: size for name, size in scope_vars.values()}
                    changes = {name: [] for name in widths}
                elif k is TokenKind.CHANGE_TIME:
                    now = tok.data
                elif k in (TokenKind.CHANGE_SCALAR, TokenKind.CHANGE_VECTOR) and tok.data.id_code in ids:
                    changes[ids[tok.data.id_code]].append((now, _value(tok.data.value)))
    except Exception as err:  # pyvcd raises its own error types for malformed dumps
        problems.append(f"{rel}: unreadable VCD ({type(err).__name__}: {err})")
        return None
    if not changes:
        problems.append(f"{rel}: no signals found")
        return None
    t0, t1 = _first_output_window(changes, now)
    return Window(source=rel, sim=None, case=None, t_start=t0, t_end=t1, timescale=timescale,
                  signals=changes, widths=widths)


def _first_output_window(changes: dict[str, list[tuple[int, str]]], t_last: int) -> tuple[int, int]:
    """Around the first rise of out_valid: where a wrong result first shows."""
    clk = changes.get("clk") or []
    rises = sorted({t for t, v in clk if v == "1"})
    period = (rises[1] - rises[0]) if len(rises) > 1 else max(1, t_last // 50)
    valid = next((name for name in changes if name.endswith("out_valid") or name == "valid"), None)
    first = next((t for t, v in changes.get(valid, []) if v == "1"), None) if valid else None
    if first is None:
        return 0, max(1, min(t_last, period * sum(WINDOW_PERIODS)))
    start = max(0, first - WINDOW_PERIODS[0] * period)
    return start, max(start + 1, min(t_last, first + WINDOW_PERIODS[1] * period))


def find_window(folder: Path, iteration_names: list[str], problems: list[str]) -> Window | None:
    """failure_window.json of the earliest iteration that has one, else the first VCD under iter_*/."""
    for name in iteration_names:
        path = folder / name / "failure_window.json"
        if path.is_file():
            return from_failure_json(path, f"{name}/failure_window.json", problems)
    root = folder.resolve()
    for name in iteration_names:
        for vcd in sorted((folder / name).rglob("*.vcd")):
            real = vcd.resolve()
            if real.is_file() and real.is_relative_to(root):  # a symlink must not lead out of the run
                return from_vcd(real, str(vcd.relative_to(folder)), problems)
    return None
