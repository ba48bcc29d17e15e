"""Hand-written replies for the scripted server: a broken and a fixed ReLU for ClampSpec(lanes=4)."""

from __future__ import annotations

from accelsmith.kinds.clamp import ClampSpec

SPEC = ClampSpec(lanes=4, bits=8, signed=True, name="relu4")

HEADER = """module clamp_top (
    input  wire clk,
    input  wire rst_n,
    input  wire in_valid,
    output wire in_ready,
    input  wire [31:0] in_x,
    output wire out_valid,
    input  wire out_ready,
    output wire [31:0] out_y
);
"""
_CLAMP = HEADER + """    assign in_ready = out_ready;
    assign out_valid = in_valid;
    genvar i;
    generate
        for (i = 0; i < 4; i = i + 1) begin : g_lane
            wire [7:0] x = in_x[i*8 +: 8];
            assign out_y[i*8 +: 8] = {EXPR};
        end
    endgenerate
endmodule
"""

GOOD_RTL = _CLAMP.replace("{EXPR}", "x[7] ? 8'd0 : x")
BROKEN_RTL = _CLAMP.replace("{EXPR}", "x")            # forgets the ReLU: negative values pass
LINT_BROKEN_RTL = _CLAMP.replace("{EXPR}", "x_undeclared")


def fenced(rtl: str, prose: str = "Here is the design.") -> dict:
    return {"text": f"{prose}\n\n```verilog\n{rtl}```\n\nIt handles back-pressure by passing ready through."}
