"""Behavioural consensus: a self-test for problems that come with a prompt only (no spec-derived bench).

Every candidate that compiles is simulated on the same random stimulus, built from the port list the prompt states
(``- input name (N bits)``); candidates whose outputs agree on every sample form a cluster, and a member of the
largest cluster (the earliest on a tie) is kept. Nothing from a grading harness is read: the stimulus comes from the
prompt's port list and a seed, the candidates are the model's own.
"""

from __future__ import annotations

import re
from pathlib import Path

from accelsmith import sandbox
from accelsmith.agents._extract import module_names
from accelsmith.tools import tool_env

_PORT = re.compile(r"^\s*-\s*(input|output)\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s*\((\d+)\s*bits?\))?", re.M)
_RESETS = {"reset", "rst", "areset", "clear", "clr", "srst"}
_RESETS_N = {"reset_n", "rst_n", "resetn", "rstn", "areset_n"}
MAX_WIDTH = 256


def prompt_ports(prompt: str) -> list[tuple[str, str, int]]:
    """(direction, name, bits) for each port the prompt lists; [] when it lists none in that form."""
    return [(d, n, int(w or 1)) for d, n, w in _PORT.findall(prompt)]


def prompt_header(prompt: str, top: str = "TopModule") -> str | None:
    """The module header the prompt's port list states (``logic`` ports), or None when it lists none."""
    ports = prompt_ports(prompt)
    if not ports:
        return None
    rows = [f"    {d:<6} logic {f'[{w - 1}:0] ' if w > 1 else ''}{n}" for d, n, w in ports]
    return f"module {top} (\n" + ",\n".join(rows) + "\n);"


def _renamed(files: dict[str, str], k: int) -> str:
    text = "\n".join(files.values())
    for name in sorted(set(module_names(text)), key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(name)}\b", f"{name}__c{k}", text)
    return text


def _random(width: int) -> str:
    words = -(-width // 32)
    return "{" + ", ".join(["$random(seed)"] * words) + "}" if words > 1 else "$random(seed)"


def testbench(ports: list[tuple[str, str, int]], count: int, top: str, samples: int, seed: int) -> str:
    ins = [(n, w) for d, n, w in ports if d == "input" and n != "clk"]
    outs = [(n, w) for d, n, w in ports if d == "output"]
    clocked = any(n == "clk" for d, n, _ in ports if d == "input")
    lines = ["`timescale 1 ps/1 ps", "module consensus_tb;", f"  integer i, seed = {seed};"]
    lines += ["  reg clk = 0;", "  always #5 clk = ~clk;"] if clocked else []
    lines += [f"  reg [{w - 1}:0] {n} = 0;" for n, w in ins]
    for k in range(count):
        lines += [f"  wire [{w - 1}:0] c{k}_{n};" for n, w in outs]
        conns = [".clk(clk)"] * clocked + [f".{n}({n})" for n, _ in ins] + [f".{n}(c{k}_{n})" for n, _ in outs]
        lines.append(f"  {top}__c{k} u{k} ({', '.join(conns)});")
    drive = []
    for n, w in ins:
        if n.lower() in _RESETS:
            drive.append(f"      {n} = (i < 2) || ($random(seed) % 29 == 0);")
        elif n.lower() in _RESETS_N:
            drive.append(f"      {n} = !((i < 2) || ($random(seed) % 29 == 0));")
        else:
            drive.append(f"      {n} = {_random(w)};")
    shown = " ".join(["%h"] * len(outs))
    show = [f'      $display("S {k} {shown}", ' + ", ".join(f"c{k}_{n}" for n, _ in outs) + ");" for k in range(count)]
    step = ["      @(negedge clk);", *drive, "      @(posedge clk); #1;"] if clocked else [*drive, "      #5;"]
    lines += ["  initial begin", f"    for (i = 0; i < {samples}; i = i + 1) begin", *step, *show,
              *([] if clocked else ["      #5;"]), "    end", "    $finish;", "  end", "endmodule", ""]
    return "\n".join(lines)


def consensus(candidates: list[dict[str, str]], prompt: str, work: Path, *, top: str = "TopModule",
              samples: int = 200, seed: int = 1, timeout_s: float = 60.0) -> dict:
    """``{"chosen": index or None, "clusters": [[indices], ...] (largest first), "why": str}``."""
    ports = prompt_ports(prompt)
    outs = [p for p in ports if p[0] == "output"]
    if len(candidates) < 2 or not outs or any(w > MAX_WIDTH for _, _, w in ports):
        return {"chosen": 0 if candidates else None, "clusters": [list(range(len(candidates)))],
                "why": "nothing to compare" if len(candidates) < 2 else "the prompt lists no ports this can drive"}
    (work / "rtl").mkdir(parents=True, exist_ok=True)
    paths = []
    for k, files in enumerate(candidates):
        p = work / "rtl" / f"cand{k}.sv"
        p.write_text(_renamed(files, k))
        paths.append(p)
    (work / "consensus_tb.sv").write_text(testbench(ports, len(candidates), top, samples, seed))
    limits = sandbox.Limits(wall_s=timeout_s, memory_mb=4096, file_mb=64, disk_mb=256)
    build = sandbox.run(["iverilog", "-g2012", "-s", "consensus_tb", "-o", "sim", "consensus_tb.sv",
                         *(str(p.relative_to(work)) for p in paths)], cwd=work, readable=[work], env=tool_env(),
                        log=work / "consensus_build.log", limits=limits)
    if not build.ok:
        return {"chosen": 0, "clusters": [list(range(len(candidates)))], "why": "the candidates do not build together"}
    run = sandbox.run(["vvp", "-n", "sim"], cwd=work, env=tool_env(), log=work / "consensus_sim.log", limits=limits)
    traces: dict[int, list[str]] = {k: [] for k in range(len(candidates))}
    for line in sandbox.read_capped(run.log, 8 << 20).splitlines():
        if line.startswith("S "):
            _, k, *values = line.split(" ")
            if k.isdigit() and int(k) in traces:
                traces[int(k)].append(" ".join(values))
    groups: dict[tuple, list[int]] = {}
    for k, t in traces.items():
        groups.setdefault(tuple(t), []).append(k)
    clusters = sorted(groups.values(), key=lambda g: (-len(g), g[0]))
    why = (f"{len(clusters[0])} of {len(candidates)} candidates agree on {samples} random samples"
           + ("" if run.ok else f" (simulation: {run.describe('vvp')})"))
    return {"chosen": clusters[0][0], "clusters": clusters, "why": why}
