module undeclared (input wire clk, input wire [7:0] a, output reg [7:0] y);
  always @(posedge clk) y <= a + missing_sig;
endmodule
