`timescale 1 ps/1 ps
module tb();
  reg clk = 0, reset = 1;
  wire [3:0] q_ref, q_dut;
  integer errors = 0, samples = 0, i;
  RefModule good1 (.clk(clk), .reset(reset), .q(q_ref));
  TopModule top_module1 (.clk(clk), .reset(reset), .q(q_dut));
  always #5 clk = ~clk;
  initial begin
    @(posedge clk); @(posedge clk);
    for (i = 0; i < 60; i = i + 1) begin
      @(negedge clk);
      reset = (i == 30);
      samples = samples + 1;
      if (q_ref !== q_dut) errors = errors + 1;
    end
    $display("Mismatches: %1d in %1d samples", errors, samples);
    $finish;
  end
endmodule
