`timescale 1 ps/1 ps
module tb();
  reg [0:0] reset = 0;
  reg [0:0] en = 0;
  reg [7:0] a = 0;
  reg [7:0] b = 0;
  wire [19:0] acc_ref, acc_dut;
  integer errors = 0, samples = 0, i;
  reg clk = 0;
  always #5 clk = ~clk;
  RefModule u_ref (.clk(clk), .reset(reset), .en(en), .a(a), .b(b), .acc(acc_ref));
  TopModule u_dut (.clk(clk), .reset(reset), .en(en), .a(a), .b(b), .acc(acc_dut));
  initial begin
    for (i = 0; i < 400; i = i + 1) begin
      @(negedge clk);
      reset = (i < 2) || (i == 150) || ($random % 23 == 0);
      en = (i % 97 == 3) ? {1{1'b1}} : (i % 97 == 5) ? 1'd0 : (i % 97 == 7) ? (1'd1 << 0) : $random;
      a = (i % 97 == 3) ? {8{1'b1}} : (i % 97 == 5) ? 8'd0 : (i % 97 == 7) ? (8'd1 << 7) : $random;
      b = (i % 97 == 3) ? {8{1'b1}} : (i % 97 == 5) ? 8'd0 : (i % 97 == 7) ? (8'd1 << 7) : $random;
      @(posedge clk); #1;
      samples = samples + 1;
      if ((acc_ref !== acc_dut)) errors = errors + 1;
    end
    $display("Mismatches: %1d in %1d samples", errors, samples);
    $finish;
  end
endmodule
