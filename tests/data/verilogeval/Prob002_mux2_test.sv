`timescale 1 ps/1 ps
module tb();
  reg [7:0] a, b;
  reg sel;
  wire [7:0] out_ref, out_dut;
  integer errors = 0, samples = 0;
  RefModule good1 (.a(a), .b(b), .sel(sel), .out(out_ref));
  TopModule top_module1 (.a(a), .b(b), .sel(sel), .out(out_dut));
  initial begin
    repeat (64) begin
      {a, b, sel} = $random;
      #1;
      samples = samples + 1;
      if (out_ref !== out_dut) errors = errors + 1;
    end
    $display("Mismatches: %1d in %1d samples", errors, samples);
    $finish;
  end
endmodule
