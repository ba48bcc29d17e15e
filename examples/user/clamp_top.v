// A hand-written ReLU for examples/user/relu4.yaml (the file is named after its module): four signed 8-bit lanes, negative values clamp to 0.
// Combinational: valid and ready pass straight through.
module clamp_top (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        in_valid,
    output wire        in_ready,
    input  wire [31:0] in_x,
    output wire        out_valid,
    input  wire        out_ready,
    output wire [31:0] out_y
);
    assign in_ready  = out_ready;
    assign out_valid = in_valid;
    genvar i;
    generate
        for (i = 0; i < 4; i = i + 1) begin : g_lane
            wire [7:0] x = in_x[i*8 +: 8];
            assign out_y[i*8 +: 8] = x[7] ? 8'd0 : x;
        end
    endgenerate
    wire unused = &{1'b0, clk, rst_n};
endmodule
