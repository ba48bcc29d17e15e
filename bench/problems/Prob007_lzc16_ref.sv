module RefModule (
  input [15:0] in,
  output reg [4:0] n
);
  integer i;
  reg done;
  always @(*) begin
    n = 0; done = 0;
    for (i = 15; i >= 0; i = i - 1) begin
      if (in[i]) done = 1;
      else if (!done) n = n + 1;
    end
  end
endmodule
