// Elementwise activation through a lookup table: LANES lanes per beat, II=1, one register stage.
// The table is a function supplied by the generated wrapper (act_table), so this file is fixed.
// The stage loads when it is empty or its beat leaves this cycle.
// Table lookups are done by the wrapper: lut_out[i] = act_table(lut_in[i]). The module header is generated from
// the spec's ports (hw_templates/_base.py).
// @header
    reg v;
    reg [LANES*OW-1:0] y_q;
    assign in_ready  = !v || out_ready;
    assign out_valid = v;
    assign out_data  = y_q;
    assign lut_in    = in_data;
    wire fire = in_valid && in_ready;

    always @(posedge clk) begin
        if (!rst_n) v <= 1'b0;
        else if (in_ready) v <= in_valid;
    end
    always @(posedge clk) begin
        if (fire) y_q <= lut_out;
    end
endmodule
