module RefModule (
  input clk,
  input reset,
  input in,
  output reg pulse
);
  reg prev;
  always @(posedge clk)
    if (reset) begin prev <= 0; pulse <= 0; end
    else begin pulse <= in & ~prev; prev <= in; end
endmodule
