`timescale 1 ps/1 ps
module tb();
  reg [0:0] reset = 0;
  reg [0:0] in_valid = 0;
  reg [7:0] in_data = 0;
  reg [0:0] out_ready = 0;
  wire [0:0] in_ready_ref, in_ready_dut;
  wire [0:0] out_valid_ref, out_valid_dut;
  wire [7:0] out_data_ref, out_data_dut;
  integer errors = 0, samples = 0, i;
  reg clk = 0;
  always #5 clk = ~clk;
  RefModule u_ref (.clk(clk), .reset(reset), .in_valid(in_valid), .in_data(in_data), .out_ready(out_ready), .in_ready(in_ready_ref), .out_valid(out_valid_ref), .out_data(out_data_ref));
  TopModule u_dut (.clk(clk), .reset(reset), .in_valid(in_valid), .in_data(in_data), .out_ready(out_ready), .in_ready(in_ready_dut), .out_valid(out_valid_dut), .out_data(out_data_dut));
  initial begin
    for (i = 0; i < 400; i = i + 1) begin
      @(negedge clk);
      reset = (i < 2) || (i == 150) || ($random % 23 == 0);
      in_valid = (i % 97 == 3) ? {1{1'b1}} : (i % 97 == 5) ? 1'd0 : (i % 97 == 7) ? (1'd1 << 0) : $random;
      in_data = (i % 97 == 3) ? {8{1'b1}} : (i % 97 == 5) ? 8'd0 : (i % 97 == 7) ? (8'd1 << 7) : $random;
      out_ready = (i % 97 == 3) ? {1{1'b1}} : (i % 97 == 5) ? 1'd0 : (i % 97 == 7) ? (1'd1 << 0) : $random;
      @(posedge clk); #1;
      samples = samples + 1;
      if ((in_ready_ref !== in_ready_dut) || (out_valid_ref !== out_valid_dut) || (out_data_ref !== out_data_dut)) errors = errors + 1;
    end
    $display("Mismatches: %1d in %1d samples", errors, samples);
    $finish;
  end
endmodule
