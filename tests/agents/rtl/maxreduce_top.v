// Reference max of 4 signed 8-bit lanes: a two-level comparison tree, combinational handshake.
module maxreduce_top (
    input  wire clk, input wire rst_n,
    input  wire in_valid, output wire in_ready,
    input  wire [31:0] in_x,
    output wire out_valid, input wire out_ready,
    output wire [7:0] out_max
);
    wire signed [7:0] x0 = in_x[7:0], x1 = in_x[15:8], x2 = in_x[23:16], x3 = in_x[31:24];
    wire signed [7:0] m01 = (x0 > x1) ? x0 : x1;
    wire signed [7:0] m23 = (x2 > x3) ? x2 : x3;
    assign out_max = (m01 > m23) ? m01 : m23;
    assign in_ready = out_ready;
    assign out_valid = in_valid;
endmodule
