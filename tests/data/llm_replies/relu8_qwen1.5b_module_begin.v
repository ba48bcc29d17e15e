module TopModule (
    input  logic [7:0] x,
    output logic [7:0] y
) begin
    always @(x) begin
        if (x >= 0) begin
            y = x;
        end else begin
            y = 8'b0;
        end
    end
endmodule
