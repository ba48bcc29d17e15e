module TopModule (
    input  logic [7:0] in,
    output logic [3:0] out
);

always @(posedge clk) begin
    if (in[7]) begin
        out[3] <= 1;
    end else begin
        out[3] <= 0;
    end
end

endmodule
