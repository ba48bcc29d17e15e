// LayerNorm / RMSNorm over one vector of NB beats x P lanes per job, in three stages:
// LOAD (II=1; S1 = sum x, S2 = sum x^2), statistics (VAR: V = H*S2 - LN*S1^2 + E; NRM: V = m*4^k, seed;
// NEWTON: NS steps of y = y*(3 - m*y^2)/2), OUT (II=1; y = round(N*y*gamma / 2^sh) + beta, clamped).
// NV vector slots: job n+1 loads while earlier jobs are in the statistics or OUT stage. Loads, the statistics
// engine and the OUT engine each serve one slot at a time in slot order. The statistics start the cycle after
// a vector's last beat and take 2 + NS cycles, so with NV > 1 a vector must take at least that many beats
// (NB >= 2 + NS, checked by the spec) for the engine to be free again. A job alone takes 2 NB + 2 + NS
// cycles; back to back a slot is reused every 2 NB + 2 + NS cycles.
// Datapath widths follow from the value bounds beside them, over the legal parameter range.
// Parameters: P lanes per beat; NB beats per vector; H = NB * P; IW, OW, GW signed input, output and gamma bits;
// SHB = R + gamma_frac - out_frac (>= 1); LN 1 subtracts the mean (layernorm), 0 not (rmsnorm); VW the bits of V
// (unsigned, H^2 * 4^(IW-1) + E); E = eps * 4^in_frac * H^2; NS Newton steps; NV vector slots (jobs in flight);
// GAMMA, BETA per element. The module header is generated from the spec's ports (hw_templates/_base.py).
// @header
    localparam integer R = 16;                       // rsqrt and m fraction bits
    localparam integer AW = (NB < 2) ? 1 : $clog2(NB);
    localparam integer SA = (NV > 1) ? $clog2(NV) : 1;     // slot index bits
    localparam integer VD = (NV > 1) ? (NV << AW) : NB;    // buffer rows: slot-major {slot, beat} with NV > 1
    localparam integer VA = (VD > 1) ? $clog2(VD) : 1;
    localparam integer HB = $clog2(H);               // H <= 2^HB
    localparam integer S1W = IW + HB;                // signed S1: |S1| <= H * 2^(IW-1) <= 2^(S1W-1)
    localparam integer QW = 2 * IW - 1;              // unsigned x^2 <= 4^(IW-1) < 2^QW
    localparam integer S2W = QW + HB;                // unsigned S2 <= H * 4^(IW-1) <= 2^(S2W-1)
    localparam integer NW = S1W + LN;                // signed H*x - S1: |.| <= (H-1)*(2^IW-1) < 2^(S1W); rmsnorm H*x
    localparam integer KW = $clog2(VW);              // e2 <= VW - 1
    localparam integer PW = NW + R + GW - 1;         // signed product: |num*y*g| <= 2^(NW-1) * (2^R-1) * 2^(GW-1)
    localparam integer SHM = SHB - 1;                // round(p / 2^sh) = (floor(p / 2^(sh-1)) + 1) >> 1
    localparam integer LAST_I = NB - 1;
    localparam [AW-1:0] LAST = LAST_I[AW-1:0];
    localparam [NS-1:0] STEP1 = 1;                   // one-hot Newton step
    localparam integer SLAST_I = NV - 1;
    localparam [SA-1:0] SLAST = SLAST_I[SA-1:0];
    localparam [1:0] IDLE = 2'd0, NRM = 2'd1, NEWT = 2'd2;
    /* verilator lint_off WIDTHTRUNC */
    /* verilator lint_off WIDTHEXPAND */
    localparam [VW-1:0] HV = H;                      // H < 2^VW
    localparam signed [NW-1:0] HN = H;               // H < 2^(NW-1)
    /* verilator lint_on WIDTHEXPAND */
    /* verilator lint_on WIDTHTRUNC */
    localparam signed [PW-1:0] PONE = 1;

    reg  [P*IW-1:0]       vbuf [0:VD-1];
    // LOAD: slot lp, beat lptr, running sums s1, s2
    reg  [SA-1:0]         lp;
    reg  [AW-1:0]         lptr;
    reg  signed [S1W-1:0] s1;
    reg  [S2W-1:0]        s2;
    // statistics of slot ss: VAR in the cycle after its last beat (var_go), then sph NRM, NEWT
    reg                   var_go;
    reg  [SA-1:0]         ss;
    reg  [1:0]            sph;
    reg  [NS-1:0]         step;
    reg  [VW-1:0]         v;
    reg  [R+1:0]          m;     // V / 4^k at R fraction bits, in [2^R, 2^(R+2))
    reg  [KW-2:0]         kn;    // e2 / 2 <= (VW - 1) / 2 < 2^(KW-1)
    reg  [R-1:0]          yn_r;  // rsqrt(m) at R fraction bits, < 2^R (every m checked)
    // OUT: slot op, beat optr
    reg  [SA-1:0]         op;
    reg  [AW-1:0]         optr;
    // per slot (g_slot): busy from its last input beat to its last output beat, ready once normalised
    wire [NV-1:0]         busy, rdy;
    wire [S1W-1:0]        s1_arr [0:NV-1];
    wire [R-1:0]          y_arr  [0:NV-1];
    wire [KW-2:0]         k_arr  [0:NV-1];

    assign in_ready  = !busy[lp];
    assign out_valid = rdy[op];
    wire in_fire  = in_valid && in_ready;
    wire out_fire = out_valid && out_ready;
    wire at_last  = (lptr == LAST);
    wire first    = (lptr == {AW{1'b0}});
    wire o_last   = (optr == LAST);
    wire l_done   = in_fire && at_last;          // slot lp loaded: its VAR is next cycle
    wire s_done   = (sph == NEWT) && step[NS-1]; // slot ss normalised: it may drain from next cycle
    wire o_done   = out_fire && o_last;          // slot op drained: it loads again from next cycle
    wire [VA-1:0] la, oa;  // buffer rows of the load and out engines
    generate
        if (NV > 1) begin : g_addr
            assign la = {lp, lptr};
            assign oa = {op, optr};
        end else begin : g_addr1
            assign la = lptr;
            assign oa = optr;
        end
    endgenerate

    // beat sums of x and x^2
    reg signed [S1W-1:0] b1;
    reg [S2W-1:0]        b2;
    reg signed [IW-1:0]  xi;
    reg signed [QW-1:0]  xq;     // the bits of x^2 (signed only to match x)
    integer i;
    always @(*) begin
        b1 = {S1W{1'b0}};
        b2 = {S2W{1'b0}};
        for (i = 0; i < P; i = i + 1) begin
            xi = $signed(in_data[i*IW +: IW]);
            xq = xi * xi;
            b1 = b1 + $signed({{(S1W-IW){xi[IW-1]}}, xi});
            b2 = b2 + {{(S2W-QW){1'b0}}, xq};
        end
    end

    // V = H*S2 - S1^2 + E (S1 term only for layernorm), modulo 2^VW; 0 < E <= V < 2^VW by Cauchy-Schwarz
    wire signed [VW-1:0] s1sq = s1 * s1;
    wire [VW-1:0] sq   = (LN != 0) ? $unsigned(s1sq) : {VW{1'b0}};
    wire [VW-1:0] vx   = HV * s2 - sq + E;

    // normalise: e2 = even floor of log2 V (0 for V < 4), m = V * 2^R / 2^e2
    reg [KW-1:0] e2;
    integer b;
    always @(*) begin
        e2 = {KW{1'b0}};
        for (b = 2; b < VW; b = b + 1)
            if (v[b]) e2 = {b[KW-1:1], 1'b0};
    end
    /* verilator lint_off UNUSEDSIGNAL */
    wire [VW+R-1:0] vs = {v, {R{1'b0}}} >> e2;  // only the low R+2 bits are nonzero
    /* verilator lint_on UNUSEDSIGNAL */
    wire [R+1:0]    mn = vs[R+1:0];

    function [R-1:0] seed;  // 2^16 / sqrt(1.25 + j/2)
        input [2:0] j;
        begin
            case (j)
                3'd0: seed = 16'd58617;
                3'd1: seed = 16'd49541;
                3'd2: seed = 16'd43691;
                3'd3: seed = 16'd39520;
                3'd4: seed = 16'd36353;
                default: seed = 16'd33843;
            endcase
        end
    endfunction
    wire [2:0] sj = mn[R+1:R-1] - 3'd2;

    // one Newton step: h = m*y^2 / 2^2R, y' = y*(3*2^R - h) / 2^(R+1); bounds checked for every m:
    // m*y^2 < 1.2 * 2^(3R), so h < 2^(R+1), 3*2^R - h in (1.8 * 2^R, 2.2 * 2^R), y*(3*2^R - h) < 2^(2R+1)
    /* verilator lint_off UNUSEDSIGNAL */
    wire [3*R:0]   my2 = m * {2'b00, yn_r} * {2'b00, yn_r};
    wire [R+1:0]   dh  = {2'd3, {R{1'b0}}} - {1'b0, my2[3*R:2*R]};
    wire [2*R:0]   yn  = {2'b00, yn_r} * dh;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [R-1:0]   ynext = yn[2*R:R+1];

    // output lanes, on slot op
    wire [P*IW-1:0]       row  = vbuf[oa];
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [S1W-1:0] s1o  = $signed(s1_arr[op]);  // layernorm only
    /* verilator lint_on UNUSEDSIGNAL */
    wire [R-1:0]          y    = y_arr[op];
    wire [KW-2:0]         k    = k_arr[op];
    genvar g, t;
    generate
        for (g = 0; g < P; g = g + 1) begin : g_lane
            wire [GW-1:0] gtab [0:NB-1];
            wire [OW-1:0] btab [0:NB-1];
            for (t = 0; t < NB; t = t + 1) begin : g_tab
                assign gtab[t] = GAMMA[(t*P+g)*GW +: GW];
                assign btab[t] = BETA[(t*P+g)*OW +: OW];
            end
            wire [IW-1:0]        xr   = row[g*IW +: IW];
            wire [GW-1:0]        gm   = gtab[optr];
            wire [OW-1:0]        bt   = btab[optr];
            wire signed [NW-1:0] num;   // H*x - S1 (layernorm), H*x (rmsnorm)
            if (LN != 0) begin : g_ln
                assign num = HN * $signed({{(NW-IW){xr[IW-1]}}, xr}) - $signed({s1o[S1W-1], s1o});
            end else begin : g_rms
                assign num = HN * $signed({{(NW-IW){xr[IW-1]}}, xr});
            end
            wire signed [PW-1:0] prod = $signed({{(PW-NW){num[NW-1]}}, num}) * $signed({{(PW-R){1'b0}}, y}) *
                                        $signed({{(PW-GW){gm[GW-1]}}, gm});
            // round half up at sh = SHB + k: floor(prod / 2^sh + 1/2) = (floor(prod / 2^(sh-1)) + 1) >> 1
            wire signed [PW-1:0] q    = ((((prod >>> k) >>> SHM) + PONE) >>> 1) + $signed({{(PW-OW){bt[OW-1]}}, bt});
            wire                 fits = ($signed({{(PW-OW){q[OW-1]}}, q[OW-1:0]}) == q);  // q fits OW signed bits
            assign out_data[g*OW +: OW] = fits ? q[OW-1:0] : {q[PW-1], {(OW-1){~q[PW-1]}}};
        end
    endgenerate

    genvar sl;
    generate
        for (sl = 0; sl < NV; sl = sl + 1) begin : g_slot
            localparam integer SI = sl;
            localparam [SA-1:0] ME = SI[SA-1:0];
            reg                   s_busy, s_rdy;
            reg  signed [S1W-1:0] s1_s;
            reg  [R-1:0]          y_s;
            reg  [KW-2:0]         k_s;
            assign busy[sl]   = s_busy;
            assign rdy[sl]    = s_rdy;
            assign s1_arr[sl] = $unsigned(s1_s);
            assign y_arr[sl]  = y_s;
            assign k_arr[sl]  = k_s;
            always @(posedge clk) begin
                if (l_done && lp == ME) s1_s <= first ? b1 : s1 + b1;
                if (s_done && ss == ME) begin
                    y_s <= ynext;
                    k_s <= kn;
                end
            end
            always @(posedge clk) begin
                if (!rst_n) begin
                    s_busy <= 1'b0;
                    s_rdy  <= 1'b0;
                end else begin
                    if (l_done && lp == ME) s_busy <= 1'b1;
                    if (s_done && ss == ME) s_rdy <= 1'b1;
                    if (o_done && op == ME) begin
                        s_busy <= 1'b0;
                        s_rdy  <= 1'b0;
                    end
                end
            end
        end
    endgenerate

    always @(posedge clk) begin
        if (in_fire) begin
            vbuf[la] <= in_data;
            s1 <= first ? b1 : s1 + b1;
            s2 <= first ? b2 : s2 + b2;
        end
        if (l_done) ss <= lp;
        if (var_go) v <= vx;  // s1, s2 still hold the vector just loaded: a next vector's first beat lands later
        if (sph == NRM) begin
            m    <= mn;
            kn   <= e2[KW-1:1];
            yn_r <= seed(sj);
            step <= STEP1;
        end
        if (sph == NEWT) begin
            yn_r <= ynext;
            step <= step << 1;
        end
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            lp     <= {SA{1'b0}};
            lptr   <= {AW{1'b0}};
            var_go <= 1'b0;
            sph    <= IDLE;
            op     <= {SA{1'b0}};
            optr   <= {AW{1'b0}};
        end else begin
            var_go <= l_done;
            if (in_fire) begin
                lptr <= at_last ? {AW{1'b0}} : lptr + 1'b1;
                if (at_last) lp <= (lp == SLAST) ? {SA{1'b0}} : lp + 1'b1;
            end
            case (sph)
                IDLE: if (var_go) sph <= NRM;
                NRM: sph <= NEWT;
                default: if (step[NS-1]) sph <= IDLE;
            endcase
            if (out_fire) begin
                optr <= o_last ? {AW{1'b0}} : optr + 1'b1;
                if (o_last) op <= (op == SLAST) ? {SA{1'b0}} : op + 1'b1;
            end
        end
    end
endmodule
