`timescale 1 ps/1 ps
module tb();
  reg [0:0] clear = 0;
  reg [0:0] valid = 0;
  reg [7:0] x = 0;
  wire [7:0] m_ref, m_dut;
  integer errors = 0, samples = 0, i;
  reg clk = 0;
  always #5 clk = ~clk;
  RefModule u_ref (.clk(clk), .clear(clear), .valid(valid), .x(x), .m(m_ref));
  TopModule u_dut (.clk(clk), .clear(clear), .valid(valid), .x(x), .m(m_dut));
  initial begin
    for (i = 0; i < 400; i = i + 1) begin
      @(negedge clk);
      clear = (i < 2) || (i == 150) || ($random % 23 == 0);
      valid = (i % 97 == 3) ? {1{1'b1}} : (i % 97 == 5) ? 1'd0 : (i % 97 == 7) ? (1'd1 << 0) : $random;
      x = (i % 97 == 3) ? {8{1'b1}} : (i % 97 == 5) ? 8'd0 : (i % 97 == 7) ? (8'd1 << 7) : $random;
      @(posedge clk); #1;
      samples = samples + 1;
      if ((m_ref !== m_dut)) errors = errors + 1;
    end
    $display("Mismatches: %1d in %1d samples", errors, samples);
    $finish;
  end
endmodule
