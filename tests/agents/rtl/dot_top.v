// Reference dot product for DotSpec(length=4, in_bits=8, signed, out_bits=20): registered output stage.
module dot_top (
    input  wire clk, input wire rst_n,
    input  wire in_valid, output wire in_ready,
    input  wire [31:0] in_a, input wire [31:0] in_b,
    output reg  out_valid, input wire out_ready,
    output reg  [19:0] out_dot
);
    wire signed [19:0] sum = $signed(in_a[7:0]) * $signed(in_b[7:0]) + $signed(in_a[15:8]) * $signed(in_b[15:8])
                           + $signed(in_a[23:16]) * $signed(in_b[23:16]) + $signed(in_a[31:24]) * $signed(in_b[31:24]);
    assign in_ready = !out_valid || out_ready;
    always @(posedge clk) begin
        if (!rst_n) out_valid <= 1'b0;
        else if (in_ready) begin
            out_valid <= in_valid;
            if (in_valid) out_dot <= sum;
        end
    end
endmodule
