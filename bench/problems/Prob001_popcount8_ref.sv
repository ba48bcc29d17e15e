module RefModule (
  input [7:0] in,
  output reg [3:0] out
);
  integer i;
  always @(*) begin
    out = 0;
    for (i = 0; i < 8; i = i + 1) out = out + in[i];
  end
endmodule
