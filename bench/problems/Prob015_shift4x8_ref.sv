module RefModule (
  input clk,
  input reset,
  input en,
  input [7:0] d,
  output reg [7:0] q
);
  reg [7:0] s0, s1, s2;
  always @(posedge clk)
    if (reset) {s0, s1, s2, q} <= 0;
    else if (en) {s0, s1, s2, q} <= {d, s0, s1, s2};
endmodule
