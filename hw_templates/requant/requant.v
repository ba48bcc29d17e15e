// Requantiser: y = clamp(round(x * M[c] / 2^S[c]) + ZP), LANES elements per beat, II=1.
//
// Input beat: in_data[i*IW +: IW] (signed); output beat: out_data[i*OW +: OW] (signed).
// Lane i of the beat in group g (beats cycle through GROUPS groups from reset) uses channel
// g*LANES+i: MULTS[c*32 +: 32] (non-negative) and SHIFTS[c*6 +: 6].
// HALF_EVEN=1 rounds ties to even, HALF_EVEN=0 rounds ties towards +inf; SATURATE=0 wraps.
// Two pipeline registers (product, result); each advances when it is empty or its content moves on.
// The module header (parameters, ports) is generated from the spec's ports (hw_templates/_base.py).
// @header
    localparam integer GW = (GROUPS > 1) ? $clog2(GROUPS) : 1;
    localparam integer GLAST_I = GROUPS - 1;
    localparam [GW-1:0] GLAST = GLAST_I[GW-1:0];
    localparam [31:0] ZP_U = ZP;
    localparam signed [63:0] ZP64 = $signed({{32{ZP_U[31]}}, ZP_U});
    localparam signed [63:0] QMAX = (64'sd1 <<< (OW - 1)) - 64'sd1;
    localparam signed [63:0] QMIN = -(64'sd1 <<< (OW - 1));
    localparam [0:0] HE = (HALF_EVEN != 0) ? 1'b1 : 1'b0;
    localparam [0:0] SAT = (SATURATE != 0) ? 1'b1 : 1'b0;

    reg          v1, v2;
    reg [GW-1:0] grp;
    wire         adv2 = !v2 || out_ready;
    assign in_ready  = !v1 || adv2;
    assign out_valid = v2;
    wire         fire = in_valid && in_ready;

    always @(posedge clk) begin
        if (!rst_n) begin
            v1  <= 1'b0;
            v2  <= 1'b0;
            grp <= {GW{1'b0}};
        end else begin
            if (in_ready) v1 <= in_valid;
            if (adv2) v2 <= v1;
            if (fire) grp <= (grp == GLAST) ? {GW{1'b0}} : grp + 1'b1;
        end
    end

    genvar i, g;
    generate
        for (i = 0; i < LANES; i = i + 1) begin : g_lane
            // this lane's multiplier and shift for the current beat group
            wire [30:0] m;   // multipliers are < 2^31 (RequantSpec): bit 31 is never set
            wire [5:0]  s;
            if (GROUPS == 1) begin : g_one
                assign m = MULTS[i*32 +: 31];
                assign s = SHIFTS[i*6 +: 6];
            end else begin : g_many
                wire [30:0] mtab [0:GROUPS-1];
                wire [5:0]  stab [0:GROUPS-1];
                for (g = 0; g < GROUPS; g = g + 1) begin : g_tab
                    assign mtab[g] = MULTS[(g*LANES+i)*32 +: 31];
                    assign stab[g] = SHIFTS[(g*LANES+i)*6 +: 6];
                end
                assign m = mtab[grp];
                assign s = stab[grp];
            end

            wire [IW-1:0]        x  = in_data[i*IW +: IW];
            wire signed [63:0]   xe = $signed({{(64-IW){x[IW-1]}}, x});
            wire signed [63:0]   me = $signed({33'd0, m});
            reg  signed [63:0]   prod_q;
            reg  [5:0]           s_q;
            always @(posedge clk) begin
                if (fire) begin
                    prod_q <= xe * me;
                    s_q    <= s;
                end
            end

            // round the arithmetic right shift: rem = dropped bits, half = 2^(s-1) (1 when s=0, never reached)
            wire signed [63:0] fl      = prod_q >>> s_q;
            wire [63:0]        lowmask = ~({64{1'b1}} << s_q);
            wire [63:0]        rem     = $unsigned(prod_q) & lowmask;
            wire [63:0]        half    = {1'b0, lowmask[63:1]} + 64'd1;
            wire               up      = HE ? ((rem > half) || (rem == half && fl[0])) : (rem >= half);
            wire signed [63:0] q       = fl + $signed({63'd0, up}) + ZP64;
            wire [OW-1:0]      y       = !SAT ? q[OW-1:0]
                                       : (q > QMAX) ? QMAX[OW-1:0]
                                       : (q < QMIN) ? QMIN[OW-1:0] : q[OW-1:0];
            reg  [OW-1:0]      y_q;
            always @(posedge clk) begin
                if (adv2 && v1) y_q <= y;
            end
            assign out_data[i*OW +: OW] = y_q;
        end
    endgenerate
endmodule
