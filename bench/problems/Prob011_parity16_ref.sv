module RefModule (
  input [15:0] in,
  output p
);
  assign p = ^in;
endmodule
