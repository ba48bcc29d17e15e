module syntax_error (input wire a, output wire y)
  assign y = a;
endmodule
