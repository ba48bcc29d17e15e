`timescale 1 ps/1 ps
module tb();
  wire zero_ref, zero_dut;
  integer errors = 0, samples = 0;
  RefModule good1 (.zero(zero_ref));
  TopModule top_module1 (.zero(zero_dut));
  initial begin
    repeat (10) begin
      #1;
      samples = samples + 1;
      if (zero_ref !== zero_dut) errors = errors + 1;
    end
    $display("Mismatches: %1d in %1d samples", errors, samples);
    $finish;
  end
endmodule
