module RefModule (
  input clk,
  input reset,
  input en,
  input signed [7:0] in,
  output reg signed [15:0] acc
);
  always @(posedge clk)
    if (reset) acc <= 0;
    else if (en) acc <= acc + {{8{in[7]}}, in};
endmodule
