"""Writes accelsmith's own spec-to-RTL problems in VerilogEval's layout (``ProbNNN_name_prompt.txt``, ``_ref.sv``,
``_test.sv``) into a folder (default ``bench/problems/suite``, not tracked: the files are generated from here), for
``accelsmith problems bench/problems/suite``.

Every problem (``problems.yaml`` beside this file) was written for accelsmith (none is copied from a public
suite): small building blocks of accelerator datapaths. The prompt is all the agent sees; the testbench compares ``TopModule`` with ``RefModule`` on
corner values then random stimulus, and prints ``Mismatches: N in M samples``.

    .venv/bin/python bench/problems/make.py [--out DIR]   # tests/agents/test_problems.py checks what it writes
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

HERE = Path(__file__).parent


def load(path: Path = HERE / "problems.yaml") -> list[tuple]:
    """The problems of ``problems.yaml``: (name, ports [(dir, name, width, signed)], clocked, description, body)."""
    problems = []
    for p in yaml.safe_load(path.read_text()):
        ports = []
        for decl in p["ports"]:
            d, n, w, *signed = decl.split()
            ports.append((d, n, int(w), signed == ["signed"]))
        problems.append((p["name"], ports, bool(p["clocked"]), p["description"], p["reference"].rstrip("\n")))
    return problems


PROBLEMS = load()


def _decl(d: str, n: str, w: int, signed: bool, reg: bool) -> str:
    kind = " reg" if reg else ""
    sign = " signed" if signed else ""
    rng = f" [{w - 1}:0]" if w > 1 else ""
    return f"  {d}{kind}{sign}{rng} {n}"


def prompt(name: str, ports: list, text: str) -> str:
    rows = "\n".join(f" - {d:<6} {n}" + (f" ({w} bits)" if w > 1 else "") for d, n, w, _ in ports)
    return ("I would like you to implement a module named TopModule with the following\ninterface. All input and "
            "output ports are one bit unless otherwise\nspecified.\n\n" + rows + "\n\n" + text + "\n")


def ref(ports: list, body: str) -> str:
    assigned = {n for d, n, *_ in ports if d == "output" and f"assign {n} " not in body}
    decls = ",\n".join(_decl(d, n, w, s, n in assigned) for d, n, w, s in ports)
    return f"module RefModule (\n{decls}\n);\n{body}\nendmodule\n"


def test(name: str, ports: list, clocked: bool) -> str:
    ins = [(n, w) for d, n, w, _ in ports if d == "input" and n != "clk"]
    outs = [(n, w) for d, n, w, _ in ports if d == "output"]
    lines = ["`timescale 1 ps/1 ps", "module tb();"]
    lines += [f"  reg [{w - 1}:0] {n} = 0;" for n, w in ins]
    lines += [f"  wire [{w - 1}:0] {n}_ref, {n}_dut;" for n, w in outs]
    lines += ["  integer errors = 0, samples = 0, i;"]
    if clocked:
        lines += ["  reg clk = 0;", "  always #5 clk = ~clk;"]
    conns = ", ".join([".clk(clk)"] * clocked + [f".{n}({n})" for n, _ in ins])

    def inst(mod: str, suffix: str) -> str:
        return f"  {mod} u_{suffix} ({conns}, " + ", ".join(f".{n}({n}_{suffix})" for n, _ in outs) + ");"

    lines += [inst("RefModule", "ref"), inst("TopModule", "dut")]
    same = " || ".join(f"({n}_ref !== {n}_dut)" for n, _ in outs)
    onehot = name == "onehot2bin8"
    drive = []
    for n, w in ins:
        if n in ("reset", "clear"):
            drive.append(f"      {n} = (i < 2) || (i == 150) || ($random % 23 == 0);")
        elif onehot:
            drive.append(f"      {n} = {w}'d1 << ($unsigned($random) % {w});")
        else:  # corners first: all zeros, all ones, the top bit alone, then random
            drive.append(f"      {n} = (i % 97 == 3) ? {{{w}{{1'b1}}}} : (i % 97 == 5) ? {w}'d0 : "
                         f"(i % 97 == 7) ? ({w}'d1 << {w - 1}) : $random;")
    lines += ["  initial begin"]
    if clocked:
        lines += ["    for (i = 0; i < 400; i = i + 1) begin", "      @(negedge clk);", *drive,
                  "      @(posedge clk); #1;", "      samples = samples + 1;", f"      if ({same}) errors = errors + 1;",
                  "    end"]
    else:
        lines += ["    for (i = 0; i < 400; i = i + 1) begin", *drive, "      #5;", "      samples = samples + 1;",
                  f"      if ({same}) errors = errors + 1;", "      #5;", "    end"]
    lines += ['    $display("Mismatches: %1d in %1d samples", errors, samples);', "    $finish;", "  end",
              "endmodule", ""]
    return "\n".join(lines)


def write(out: Path) -> list[Path]:
    """Writes every problem's three files into ``out``; returns the prompt files."""
    out.mkdir(parents=True, exist_ok=True)
    prompts = []
    for i, (name, ports, clocked, text, body) in enumerate(PROBLEMS, start=1):
        stem = out / f"Prob{i:03d}_{name}"
        Path(f"{stem}_prompt.txt").write_text(prompt(name, ports, text))
        Path(f"{stem}_ref.sv").write_text(ref(ports, body))
        Path(f"{stem}_test.sv").write_text(test(name, ports, clocked))
        prompts.append(Path(f"{stem}_prompt.txt"))
    return prompts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE / "suite")
    args = ap.parse_args()
    print(f"{len(write(args.out))} problems in {args.out}")


if __name__ == "__main__":
    main()
