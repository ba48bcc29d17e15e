`timescale 1 ps/1 ps
module tb();
  reg [7:0] g = 0;
  wire [7:0] b_ref, b_dut;
  integer errors = 0, samples = 0, i;
  RefModule u_ref (.g(g), .b(b_ref));
  TopModule u_dut (.g(g), .b(b_dut));
  initial begin
    for (i = 0; i < 400; i = i + 1) begin
      g = (i % 97 == 3) ? {8{1'b1}} : (i % 97 == 5) ? 8'd0 : (i % 97 == 7) ? (8'd1 << 7) : $random;
      #5;
      samples = samples + 1;
      if ((b_ref !== b_dut)) errors = errors + 1;
      #5;
    end
    $display("Mismatches: %1d in %1d samples", errors, samples);
    $finish;
  end
endmodule
