`timescale 1 ps/1 ps
module tb();
  reg [15:0] x = 0;
  wire [11:0] y_ref, y_dut;
  integer errors = 0, samples = 0, i;
  RefModule u_ref (.x(x), .y(y_ref));
  TopModule u_dut (.x(x), .y(y_dut));
  initial begin
    for (i = 0; i < 400; i = i + 1) begin
      x = (i % 97 == 3) ? {16{1'b1}} : (i % 97 == 5) ? 16'd0 : (i % 97 == 7) ? (16'd1 << 15) : $random;
      #5;
      samples = samples + 1;
      if ((y_ref !== y_dut)) errors = errors + 1;
      #5;
    end
    $display("Mismatches: %1d in %1d samples", errors, samples);
    $finish;
  end
endmodule
