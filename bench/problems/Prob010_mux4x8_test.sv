`timescale 1 ps/1 ps
module tb();
  reg [7:0] a = 0;
  reg [7:0] b = 0;
  reg [7:0] c = 0;
  reg [7:0] d = 0;
  reg [1:0] sel = 0;
  wire [7:0] y_ref, y_dut;
  integer errors = 0, samples = 0, i;
  RefModule u_ref (.a(a), .b(b), .c(c), .d(d), .sel(sel), .y(y_ref));
  TopModule u_dut (.a(a), .b(b), .c(c), .d(d), .sel(sel), .y(y_dut));
  initial begin
    for (i = 0; i < 400; i = i + 1) begin
      a = (i % 97 == 3) ? {8{1'b1}} : (i % 97 == 5) ? 8'd0 : (i % 97 == 7) ? (8'd1 << 7) : $random;
      b = (i % 97 == 3) ? {8{1'b1}} : (i % 97 == 5) ? 8'd0 : (i % 97 == 7) ? (8'd1 << 7) : $random;
      c = (i % 97 == 3) ? {8{1'b1}} : (i % 97 == 5) ? 8'd0 : (i % 97 == 7) ? (8'd1 << 7) : $random;
      d = (i % 97 == 3) ? {8{1'b1}} : (i % 97 == 5) ? 8'd0 : (i % 97 == 7) ? (8'd1 << 7) : $random;
      sel = (i % 97 == 3) ? {2{1'b1}} : (i % 97 == 5) ? 2'd0 : (i % 97 == 7) ? (2'd1 << 1) : $random;
      #5;
      samples = samples + 1;
      if ((y_ref !== y_dut)) errors = errors + 1;
      #5;
    end
    $display("Mismatches: %1d in %1d samples", errors, samples);
    $finish;
  end
endmodule
