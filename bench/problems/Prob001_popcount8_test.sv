`timescale 1 ps/1 ps
module tb();
  reg [7:0] in = 0;
  wire [3:0] out_ref, out_dut;
  integer errors = 0, samples = 0, i;
  RefModule u_ref (.in(in), .out(out_ref));
  TopModule u_dut (.in(in), .out(out_dut));
  initial begin
    for (i = 0; i < 400; i = i + 1) begin
      in = (i % 97 == 3) ? {8{1'b1}} : (i % 97 == 5) ? 8'd0 : (i % 97 == 7) ? (8'd1 << 7) : $random;
      #5;
      samples = samples + 1;
      if ((out_ref !== out_dut)) errors = errors + 1;
      #5;
    end
    $display("Mismatches: %1d in %1d samples", errors, samples);
    $finish;
  end
endmodule
