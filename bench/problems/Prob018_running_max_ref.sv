module RefModule (
  input clk,
  input clear,
  input valid,
  input signed [7:0] x,
  output reg signed [7:0] m
);
  always @(posedge clk)
    if (clear) m <= -8'sd128;
    else if (valid && x > m) m <= x;
endmodule
