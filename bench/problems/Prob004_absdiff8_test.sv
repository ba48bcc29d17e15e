`timescale 1 ps/1 ps
module tb();
  reg [7:0] a = 0;
  reg [7:0] b = 0;
  wire [7:0] d_ref, d_dut;
  integer errors = 0, samples = 0, i;
  RefModule u_ref (.a(a), .b(b), .d(d_ref));
  TopModule u_dut (.a(a), .b(b), .d(d_dut));
  initial begin
    for (i = 0; i < 400; i = i + 1) begin
      a = (i % 97 == 3) ? {8{1'b1}} : (i % 97 == 5) ? 8'd0 : (i % 97 == 7) ? (8'd1 << 7) : $random;
      b = (i % 97 == 3) ? {8{1'b1}} : (i % 97 == 5) ? 8'd0 : (i % 97 == 7) ? (8'd1 << 7) : $random;
      #5;
      samples = samples + 1;
      if ((d_ref !== d_dut)) errors = errors + 1;
      #5;
    end
    $display("Mismatches: %1d in %1d samples", errors, samples);
    $finish;
  end
endmodule
