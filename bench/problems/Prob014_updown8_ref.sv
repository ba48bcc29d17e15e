module RefModule (
  input clk,
  input reset,
  input en,
  input up,
  output reg [7:0] q
);
  always @(posedge clk)
    if (reset) q <= 0;
    else if (en) q <= up ? q + 8'd1 : q - 8'd1;
endmodule
