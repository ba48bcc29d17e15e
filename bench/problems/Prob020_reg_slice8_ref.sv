module RefModule (
  input clk,
  input reset,
  input in_valid,
  output in_ready,
  input [7:0] in_data,
  output reg out_valid,
  input out_ready,
  output reg [7:0] out_data
);
  assign in_ready = !out_valid || out_ready;
  always @(posedge clk)
    if (reset) out_valid <= 0;
    else if (in_ready) begin
      out_valid <= in_valid;
      if (in_valid) out_data <= in_data;
    end
endmodule
