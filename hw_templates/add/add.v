// Residual add: y = a + b per lane, saturated (SATURATE=1) or wrapped to OW bits; one register stage, II=1.
//
// Input beat: in_a[i*IW +: IW], in_b[i*IW +: IW]; output beat: out_y[i*OW +: OW]; two's complement when SIGNED=1.
// The stage loads when it is empty or its sum moves on, so an offer not taken holds its sum.
// The module header (parameters, ports) is generated from the spec's ports (hw_templates/_base.py).
// @header
    localparam integer SW = IW + 1;  // the full sum
    reg                v;
    reg [LANES*OW-1:0] y;
    assign in_ready  = !v || out_ready;
    assign out_valid = v;
    assign out_y     = y;
    wire load = in_valid && in_ready;

    always @(posedge clk) begin
        if (!rst_n) v <= 1'b0;
        else if (in_ready) v <= in_valid;
    end

    genvar i;
    generate
        for (i = 0; i < LANES; i = i + 1) begin : g_lane
            wire [IW-1:0] a = in_a[i*IW +: IW];
            wire [IW-1:0] b = in_b[i*IW +: IW];
            // operands extended by one bit: sign bit when SIGNED, 0 otherwise
            wire [SW-1:0] s = {(SIGNED != 0) & a[IW-1], a} + {(SIGNED != 0) & b[IW-1], b};
            // the sum fits OW bits when its bits above OW-1 all equal bit OW-1 (signed) or are 0 (unsigned)
            wire [SW-1:0] hi_s = s >> (OW - 1);
            wire [SW-1:0] hi_u = s >> OW;
            wire fits = (SIGNED != 0) ? (hi_s == 0 || hi_s == ({SW{1'b1}} >> (OW - 1))) : (hi_u == 0);
            wire neg = (SIGNED != 0) & s[SW-1];
            // saturation ends: signed 0111.. / 1000.., unsigned 111..
            wire [OW-1:0] top = (SIGNED != 0) ? {1'b0, {(OW-1){1'b1}}} : {OW{1'b1}};
            wire [OW-1:0] bottom = {1'b1, {(OW-1){1'b0}}};
            wire [OW-1:0] r = (SATURATE == 0 || fits) ? s[OW-1:0] : (neg ? bottom : top);
            always @(posedge clk) begin
                if (load) y[i*OW +: OW] <= r;
            end
        end
    endgenerate
endmodule
