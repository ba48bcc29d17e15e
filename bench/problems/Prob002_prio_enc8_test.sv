`timescale 1 ps/1 ps
module tb();
  reg [7:0] in = 0;
  wire [2:0] pos_ref, pos_dut;
  wire [0:0] valid_ref, valid_dut;
  integer errors = 0, samples = 0, i;
  RefModule u_ref (.in(in), .pos(pos_ref), .valid(valid_ref));
  TopModule u_dut (.in(in), .pos(pos_dut), .valid(valid_dut));
  initial begin
    for (i = 0; i < 400; i = i + 1) begin
      in = (i % 97 == 3) ? {8{1'b1}} : (i % 97 == 5) ? 8'd0 : (i % 97 == 7) ? (8'd1 << 7) : $random;
      #5;
      samples = samples + 1;
      if ((pos_ref !== pos_dut) || (valid_ref !== valid_dut)) errors = errors + 1;
      #5;
    end
    $display("Mismatches: %1d in %1d samples", errors, samples);
    $finish;
  end
endmodule
