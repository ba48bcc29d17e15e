module RefModule (
  input clk,
  input reset,
  input en,
  input signed [7:0] a,
  input signed [7:0] b,
  output reg signed [19:0] acc
);
  wire signed [15:0] p = a * b;
  always @(posedge clk)
    if (reset) acc <= 0;
    else if (en) acc <= acc + {{4{p[15]}}, p};
endmodule
