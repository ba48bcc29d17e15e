module RefModule (
  input signed [15:0] x,
  output signed [11:0] y
);
  wire signed [16:0] s = x + 17'sd8;
  assign y = s >>> 4;
endmodule
