module truncate (input wire [7:0] a, input wire [7:0] b, output wire [7:0] y);
  wire [15:0] p = a * b;
  assign y = p;
endmodule
