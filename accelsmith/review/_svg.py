"""Geometry for the inline SVGs (waveform, per-iteration chart); templates draw it with autoescaping on."""

from __future__ import annotations

from accelsmith.review._vcd import Window

LABEL_W, PLOT_W, ROW_H, PAD = 150, 820, 30, 6


def _hex(bits: str) -> str:
    if bits.startswith("'h"):  # already hex, as failure_window.json writes buses
        return bits[2:]
    if set(bits) <= {"0", "1"}:
        return format(int(bits, 2), "x")
    return "x" if "x" in bits.lower() else ("z" if "z" in bits.lower() else bits)


def _segments(changes: list[tuple[int, str]], t0: int, t1: int) -> list[tuple[int, int, str]]:
    """(start, end, value) pieces of one signal clipped to [t0, t1]."""
    current = "x"
    segs: list[tuple[int, int, str]] = []
    for t, v in changes:
        if t <= t0:
            current = v
            continue
        if t >= t1:
            break
        segs.append((t0 if not segs else segs[-1][1], t, current))
        current = v
    segs.append((t0 if not segs else segs[-1][1], t1, current))
    return [s for s in segs if s[1] > s[0]]


def waveform(win: Window) -> dict:
    span = max(1, win.t_end - win.t_start)

    def x(t: int) -> float:
        return round(LABEL_W + (t - win.t_start) * PLOT_W / span, 1)

    rows = []
    for i, (name, changes) in enumerate(win.signals.items()):
        top, bot = i * ROW_H + PAD, (i + 1) * ROW_H - PAD
        mid = (top + bot) / 2
        segs = _segments(changes, win.t_start, win.t_end)
        row = {"name": name, "y_text": mid + 4, "bit": win.widths.get(name, 1) == 1, "d": "", "buses": []}
        if row["bit"]:
            d = []
            for a, b, v in segs:
                y = top if v == "1" else bot if v == "0" else mid
                d.append(f"{'M' if not d else 'L'}{x(a)},{y} L{x(b)},{y}")
            row["d"] = " ".join(d)
        else:
            for a, b, v in segs:
                xa, xb = x(a), x(b)
                e = min(3.0, (xb - xa) / 2)
                text = _hex(v)
                row["buses"].append({
                    "points": f"{xa},{mid} {xa + e},{top} {xb - e},{top} {xb},{mid} {xb - e},{bot} {xa + e},{bot}",
                    "text": text if (xb - xa) > 7 * len(text) + 6 else "",
                    "tx": round((xa + xb) / 2, 1), "ty": mid + 4, "unknown": text in ("x", "z")})
        rows.append(row)
    ticks = [{"x": x(win.t_start + span * k // 8), "label": str(win.t_start + span * k // 8)} for k in range(9)]
    return {"width": LABEL_W + PLOT_W + 40, "height": len(rows) * ROW_H + 24, "rows": rows, "ticks": ticks,
            "axis_y": len(rows) * ROW_H + 16}


def iteration_chart(points: list[dict]) -> dict:
    """points: [{n, passed, seconds, tokens}] -> bars for seconds and tokens, coloured by outcome."""
    bar_w, gap, h = 36, 28, 120
    max_s = max((p["seconds"] or 0 for p in points), default=0) or 1
    max_t = max((p["tokens"] or 0 for p in points), default=0) or 1
    bars = []
    for i, p in enumerate(points):
        x0 = 60 + i * (2 * bar_w + gap)
        hs = round((p["seconds"] or 0) / max_s * h, 1)
        ht = round((p["tokens"] or 0) / max_t * h, 1) if p["tokens"] is not None else 0
        state = "pass" if p["passed"] else ("fail" if p["passed"] is False else "unknown")
        bars.append({"n": p["n"], "state": state, "x_s": x0, "y_s": 20 + h - hs, "h_s": hs,
                     "x_t": x0 + bar_w, "y_t": 20 + h - ht, "h_t": ht, "w": bar_w - 4,
                     "label_x": x0 + bar_w - 2, "seconds": p["seconds"], "tokens": p["tokens"]})
    return {"width": 80 + len(points) * (2 * bar_w + gap), "height": h + 70, "bars": bars, "base_y": 20 + h,
            "max_s": round(max_s, 2), "max_t": max_t}
