module RefModule (
  input [7:0] in,
  input [2:0] amt,
  output [7:0] out
);
  wire [15:0] two = {in, in} << amt;
  assign out = two[15:8];
endmodule
