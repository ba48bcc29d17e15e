module RefModule (
  input [31:0] x,
  output reg signed [7:0] m
);
  integer i;
  reg signed [7:0] v;
  always @(*) begin
    m = x[7:0];
    for (i = 1; i < 4; i = i + 1) begin v = x[8*i +: 8]; if (v > m) m = v; end
  end
endmodule
