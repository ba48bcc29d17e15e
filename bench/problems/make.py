"""Writes accelsmith's own spec-to-RTL problems in VerilogEval's layout (``ProbNNN_name_prompt.txt``, ``_ref.sv``,
``_test.sv``) into a folder (default ``bench/problems/suite``, not tracked: the files are generated from here), for
``accelsmith problems bench/problems/suite``.

Every problem here was written for accelsmith (none is copied from a public suite): small building blocks of
accelerator datapaths. The prompt is all the agent sees; the testbench compares ``TopModule`` with ``RefModule`` on
corner values then random stimulus, and prints ``Mismatches: N in M samples``.

    .venv/bin/python bench/problems/make.py [--out DIR]   # tests/agents/test_problems.py checks what it writes
"""

from __future__ import annotations

import argparse
from pathlib import Path

HERE = Path(__file__).parent

# name, ports [(dir, name, width, signed)], clocked, description, RefModule body
PROBLEMS = [
    ("popcount8", [("input", "in", 8, False), ("output", "out", 4, False)], False,
     "The output is the number of bits of `in` that are 1.",
     "  integer i;\n  always @(*) begin\n    out = 0;\n    for (i = 0; i < 8; i = i + 1) out = out + in[i];\n  end"),
    ("prio_enc8", [("input", "in", 8, False), ("output", "pos", 3, False), ("output", "valid", 1, False)], False,
     "`valid` is 1 when any bit of `in` is 1. `pos` is the index of the highest bit of `in` that is 1 "
     "(0 when no bit is 1).",
     "  integer i;\n  always @(*) begin\n    pos = 0;\n    for (i = 0; i < 8; i = i + 1) if (in[i]) pos = i;\n  end\n"
     "  assign valid = |in;"),
    ("sat_add8", [("input", "a", 8, True), ("input", "b", 8, True), ("output", "y", 8, True)], False,
     "`a`, `b` and `y` are two's complement. `y` is a + b, saturated: a sum above 127 gives 127, "
     "a sum below -128 gives -128.",
     "  wire signed [8:0] s = a + b;\n  assign y = (s > 127) ? 8'sd127 : (s < -128) ? -8'sd128 : s[7:0];"),
    ("absdiff8", [("input", "a", 8, False), ("input", "b", 8, False), ("output", "d", 8, False)], False,
     "`a` and `b` are unsigned. `d` is |a - b|.",
     "  assign d = (a > b) ? a - b : b - a;"),
    ("max4x8s", [("input", "x", 32, False), ("output", "m", 8, True)], False,
     "`x` holds four signed 8-bit values: value i is x[8*i+7:8*i] (two's complement). `m` is the largest of "
     "the four.",
     "  integer i;\n  reg signed [7:0] v;\n  always @(*) begin\n    m = x[7:0];\n"
     "    for (i = 1; i < 4; i = i + 1) begin v = x[8*i +: 8]; if (v > m) m = v; end\n  end"),
    ("relu8", [("input", "x", 8, True), ("output", "y", 8, True)], False,
     "`x` and `y` are two's complement. `y` is x when x is positive or zero, else 0.",
     "  assign y = x[7] ? 8'd0 : x;"),
    ("lzc16", [("input", "in", 16, False), ("output", "n", 5, False)], False,
     "`n` is the number of 0 bits above the highest 1 bit of `in` (counting from bit 15 down); 16 when "
     "`in` is 0.",
     "  integer i;\n  reg done;\n  always @(*) begin\n    n = 0; done = 0;\n"
     "    for (i = 15; i >= 0; i = i - 1) begin\n      if (in[i]) done = 1;\n      else if (!done) n = n + 1;\n"
     "    end\n  end"),
    ("gray2bin8", [("input", "g", 8, False), ("output", "b", 8, False)], False,
     "`g` is an 8-bit Gray code; `b` is the binary number it encodes (b[7] = g[7], b[i] = b[i+1] xor g[i]).",
     "  integer i;\n  always @(*) begin\n    b[7] = g[7];\n    for (i = 6; i >= 0; i = i - 1) b[i] = b[i+1] ^ g[i];\n  end"),
    ("rotl8", [("input", "in", 8, False), ("input", "amt", 3, False), ("output", "out", 8, False)], False,
     "`out` is `in` rotated left by `amt` positions (bits leaving at the top come back at the bottom).",
     "  wire [15:0] two = {in, in} << amt;\n  assign out = two[15:8];"),
    ("mux4x8", [("input", "a", 8, False), ("input", "b", 8, False), ("input", "c", 8, False),
                ("input", "d", 8, False), ("input", "sel", 2, False), ("output", "y", 8, False)], False,
     "`y` is `a` when sel is 0, `b` when 1, `c` when 2 and `d` when 3.",
     "  assign y = sel[1] ? (sel[0] ? d : c) : (sel[0] ? b : a);"),
    ("parity16", [("input", "in", 16, False), ("output", "p", 1, False)], False,
     "`p` is 1 when `in` has an odd number of 1 bits.",
     "  assign p = ^in;"),
    ("round_shr4", [("input", "x", 16, True), ("output", "y", 12, True)], False,
     "`x` is two's complement. `y` is x / 16 rounded to the nearest integer, ties towards plus infinity "
     "(that is, floor((x + 8) / 16)).",
     "  wire signed [16:0] s = x + 17'sd8;\n  assign y = s >>> 4;"),
    ("onehot2bin8", [("input", "in", 8, False), ("output", "out", 3, False)], False,
     "`in` has exactly one bit set; `out` is its index. (When it does not, any output is accepted; the test "
     "only applies one-hot values.)",
     "  integer i;\n  always @(*) begin\n    out = 0;\n    for (i = 0; i < 8; i = i + 1) if (in[i]) out = i;\n  end"),
    ("updown8", [("input", "clk", 1, False), ("input", "reset", 1, False), ("input", "en", 1, False),
                 ("input", "up", 1, False), ("output", "q", 8, False)], True,
     "An 8-bit counter. On each rising edge of `clk`: when `reset` is 1, q becomes 0 (synchronous reset); "
     "otherwise, when `en` is 1, q counts up by 1 if `up` is 1 or down by 1 if `up` is 0, wrapping modulo "
     "256; when `en` is 0 it holds.",
     "  always @(posedge clk)\n    if (reset) q <= 0;\n    else if (en) q <= up ? q + 8'd1 : q - 8'd1;"),
    ("shift4x8", [("input", "clk", 1, False), ("input", "reset", 1, False), ("input", "en", 1, False),
                  ("input", "d", 8, False), ("output", "q", 8, False)], True,
     "A 4-stage shift register of 8-bit words. On each rising edge of `clk`: when `reset` is 1 every stage "
     "becomes 0 (synchronous reset); otherwise, when `en` is 1, `d` enters the first stage and every stage "
     "moves one along. `q` is the last stage: a word comes out 4 enabled edges after it went in.",
     "  reg [7:0] s0, s1, s2;\n  always @(posedge clk)\n    if (reset) {s0, s1, s2, q} <= 0;\n"
     "    else if (en) {s0, s1, s2, q} <= {d, s0, s1, s2};"),
    ("accum16", [("input", "clk", 1, False), ("input", "reset", 1, False), ("input", "en", 1, False),
                 ("input", "in", 8, True), ("output", "acc", 16, True)], True,
     "A signed accumulator. On each rising edge of `clk`: when `reset` is 1, acc becomes 0 (synchronous); "
     "otherwise, when `en` is 1, acc becomes acc + in (in is two's complement, sign-extended), wrapping "
     "modulo 2^16.",
     "  always @(posedge clk)\n    if (reset) acc <= 0;\n    else if (en) acc <= acc + {{8{in[7]}}, in};"),
    ("rise_detect", [("input", "clk", 1, False), ("input", "reset", 1, False), ("input", "in", 1, False),
                     ("output", "pulse", 1, False)], True,
     "`pulse` is 1 for the cycle after a rising edge of `in` was sampled: on each rising edge of `clk`, "
     "pulse becomes 1 when `in` is 1 now and was 0 at the previous clock edge, else 0. `reset` (synchronous, "
     "active high) makes pulse 0 and the remembered previous value 0.",
     "  reg prev;\n  always @(posedge clk)\n    if (reset) begin prev <= 0; pulse <= 0; end\n"
     "    else begin pulse <= in & ~prev; prev <= in; end"),
    ("running_max", [("input", "clk", 1, False), ("input", "clear", 1, False), ("input", "valid", 1, False),
                     ("input", "x", 8, True), ("output", "m", 8, True)], True,
     "Tracks the largest signed value seen. On each rising edge of `clk`: when `clear` is 1, m becomes -128 "
     "(the smallest 8-bit two's complement value); otherwise, when `valid` is 1 and x > m (signed), m "
     "becomes x.",
     "  always @(posedge clk)\n    if (clear) m <= -8'sd128;\n    else if (valid && x > m) m <= x;"),
    ("mac8", [("input", "clk", 1, False), ("input", "reset", 1, False), ("input", "en", 1, False),
              ("input", "a", 8, True), ("input", "b", 8, True), ("output", "acc", 20, True)], True,
     "A signed multiply-accumulate. On each rising edge of `clk`: when `reset` is 1, acc becomes 0 "
     "(synchronous); otherwise, when `en` is 1, acc becomes acc + a * b (a and b two's complement, the "
     "product exact), wrapping modulo 2^20.",
     "  wire signed [15:0] p = a * b;\n  always @(posedge clk)\n    if (reset) acc <= 0;\n"
     "    else if (en) acc <= acc + {{4{p[15]}}, p};"),
    ("reg_slice8", [("input", "clk", 1, False), ("input", "reset", 1, False), ("input", "in_valid", 1, False),
                    ("output", "in_ready", 1, False), ("input", "in_data", 8, False),
                    ("output", "out_valid", 1, False), ("input", "out_ready", 1, False),
                    ("output", "out_data", 8, False)], True,
     "A one-entry pipeline register between two ready/valid streams. A beat moves on a rising edge of `clk` "
     "where valid and ready are both 1. in_ready = !out_valid || out_ready (combinational). On each rising "
     "edge: when `reset` is 1 (synchronous), out_valid becomes 0; otherwise, when in_ready is 1, out_valid "
     "becomes in_valid and, when in_valid is also 1, out_data becomes in_data.",
     "  assign in_ready = !out_valid || out_ready;\n  always @(posedge clk)\n"
     "    if (reset) out_valid <= 0;\n    else if (in_ready) begin\n      out_valid <= in_valid;\n"
     "      if (in_valid) out_data <= in_data;\n    end"),
]


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
