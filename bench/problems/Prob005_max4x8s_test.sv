`timescale 1 ps/1 ps
module tb();
  reg [31:0] x = 0;
  wire [7:0] m_ref, m_dut;
  integer errors = 0, samples = 0, i;
  RefModule u_ref (.x(x), .m(m_ref));
  TopModule u_dut (.x(x), .m(m_dut));
  initial begin
    for (i = 0; i < 400; i = i + 1) begin
      x = (i % 97 == 3) ? {32{1'b1}} : (i % 97 == 5) ? 32'd0 : (i % 97 == 7) ? (32'd1 << 31) : $random;
      #5;
      samples = samples + 1;
      if ((m_ref !== m_dut)) errors = errors + 1;
      #5;
    end
    $display("Mismatches: %1d in %1d samples", errors, samples);
    $finish;
  end
endmodule
