// Attention tile: y_r = softmax(q_r.K^T * scale) . V for R int8 query rows over S streamed keys (one pass of K/V
// serves all R rows: FlashAttention's row tile, the S x S score matrix never stored).
//
// Input beats (ready/valid): beats 0..R-1 of a job put q_0..q_{R-1} on in_a; beat R+j puts k_j on in_a, v_j on
// in_b. Write side: each key's R scores s_r = q_r.k_j are computed on arrival and stored with v_j in bank wb
// (two banks of B entries), tracking each row's bank max; a bank closes when full or at the job's last key.
// Read side: one entry of the other (full) bank per cycle, every row at once: m grows to max(m, bank max), o and
// l are rescaled by alpha = exp2q(m_new - m) (identity once m has caught up; floored: 2^-PB of a weight), then
// o += p*v, l += p with p = exp2q(m_new - s). After the job's last entry each row's o and l move to an 8-step
// restoring divider: y = round(o / l) (half away from zero); the R rows leave as R output beats, row 0 first.
// exp2q(d) = T[frac u] >> int u, u = round(d*MULT / 2^SH).
// The module header (parameters, ports) is generated from the spec's ports (hw_templates/_base.py).
// @header
    localparam integer IW = $clog2(B);
    localparam integer KW = (S > 1) ? $clog2(S) : 1;
    localparam integer RW = (R > 1) ? $clog2(R) : 1;
    localparam integer OW = LW + 8;  // |o| <= 128 * l < 2^(LW+7)
    localparam integer NW = LW + 9;  // 2|o| + l < 257 * 2^LW
    localparam integer BL = B - 1;
    localparam integer SL = S - 1;
    localparam integer RL = R - 1;
    localparam integer PB1 = PB + 1;
    localparam [IW-1:0] BLAST = BL[IW-1:0];
    localparam [KW-1:0] SLAST = SL[KW-1:0];
    localparam [RW-1:0] RLAST = RL[RW-1:0];
    localparam integer TW = EF + $clog2(PB1);  // table bit index f * (PB+1) < 2^EF * (PB+1)
    localparam [TW-1:0] TSTEP = PB1[TW-1:0];
    localparam [63:0] MULT64 = {47'd0, MULT};
    localparam [63:0] UHALF = 64'd1 << (SH - 1);

    // exp2q(d): probability code of a score difference d >= 0; shifts of 2^SB and more flush to 0
    function [PB:0] exp2q;
        input [SW-1:0] d;
        reg [63:0] u;
        reg [TW-1:0] idx;
        begin
            u = ({{(64-SW){1'b0}}, d} * MULT64 + UHALF) >> SH;
            idx = {{(TW-EF){1'b0}}, u[EF-1:0]} * TSTEP;
            if ((u >> (EF + SB)) != 64'd0) exp2q = {PB1{1'b0}};
            else exp2q = EXP_TABLE[idx +: (PB+1)] >> u[EF +: SB];
        end
    endfunction

    // ---- write side: q rows, key scoring, two banks ----
    reg              want_q;
    reg  [RW-1:0]    qi;
    reg  [KW-1:0]    kc;
    reg              wb;
    reg  [IW-1:0]    widx;
    reg  [1:0]       full, last;
    reg  [IW-1:0]    lastidx [0:1];
    reg  [R*SW-1:0]  bmax [0:1];
    reg  [R*SW-1:0]  sbuf [0:2*B-1];
    reg  [D*8-1:0]   vbuf [0:2*B-1];

    assign in_ready  = want_q || !full[wb];
    wire   fire      = in_valid && in_ready;
    wire   key_fire  = fire && !want_q;
    wire   last_key  = kc == SLAST;
    wire   close     = last_key || widx == BLAST;

    // ---- read side: online softmax over the full bank rb ----
    reg              rb;
    reg  [IW-1:0]    ridx;
    reg              first;
    reg  [3:0]       dc;  // divider: 0 idle, 9 down to 2 one quotient bit each, 1 results valid
    reg  [RW-1:0]    orow;  // the row whose result is on out_data

    wire             o_fire   = out_valid && out_ready;
    wire             o_end    = o_fire && orow == RLAST;
    wire             div_free = dc == 4'd0 || o_end;
    wire             a_end    = ridx == lastidx[rb];
    wire             a_final  = a_end && last[rb];
    wire             a_go     = full[rb] && (!a_final || div_free);
    wire [D*8-1:0]   v_r      = vbuf[{rb, ridx}];
    wire             load     = a_go && a_final;
    wire             dstep    = dc > 4'd1;
    assign out_valid = dc == 4'd1;

    wire [R*SW-1:0]  score, wmax;
    wire [D*8-1:0]   y_row [0:R-1];
    assign out_data = y_row[orow];

    genvar r, g;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_row
            localparam integer RI = r;
            localparam [RW-1:0] ME = RI[RW-1:0];
            reg  [D*8-1:0]   q_reg;
            // two's complement products and sums in unsigned arithmetic, operands sign-extended by hand
            reg  [SW-1:0] sc;
            reg  [15:0]   prod;
            integer i;
            always @* begin
                sc = {SW{1'b0}};
                for (i = 0; i < D; i = i + 1) begin
                    prod  = {{8{q_reg[i*8+7]}}, q_reg[i*8 +: 8]} * {{8{in_a[i*8+7]}}, in_a[i*8 +: 8]};
                    sc = sc + {{(SW-16){prod[15]}}, prod};
                end
            end
            wire [SW-1:0] bw = bmax[wb][r*SW +: SW];
            assign score[r*SW +: SW] = sc;
            assign wmax[r*SW +: SW]  = (widx == {IW{1'b0}} || $signed(sc) > $signed(bw)) ? sc : bw;

            reg  [SW-1:0]    m;
            reg  [D*OW-1:0]  o;
            reg  [LW-1:0]    l;
            reg  [LW+7:0]    dsor;
            wire [SW-1:0]    bm       = bmax[rb][r*SW +: SW];
            wire [SW-1:0]    m_new    = (first || $signed(bm) > $signed(m)) ? bm : m;
            wire [PB:0]      alpha    = exp2q(m_new - m);
            wire [SW-1:0]    s_r      = sbuf[{rb, ridx}][r*SW +: SW];
            wire [PB:0]      p        = exp2q(m_new - s_r);
            // l * alpha <= (2^LW - 1) * 2^PB (alpha <= T[0] = 2^PB): exactly LW+PB bits
            /* verilator lint_off UNUSEDSIGNAL */
            wire [LW+PB-1:0] l_scaled = {{PB{1'b0}}, l} * {{(LW-1){1'b0}}, alpha};
            /* verilator lint_on UNUSEDSIGNAL */
            wire [LW-1:0]    l_next   = (first ? {LW{1'b0}} : l_scaled[PB +: LW]) + {{(LW-PB-1){1'b0}}, p};
            wire [D*OW-1:0]  o_next;
            wire [D*8-1:0]   y;
            assign y_row[r] = y;

            // ---- divider: 8 restoring steps, one quotient bit per cycle, all lanes at once ----
            for (g = 0; g < D; g = g + 1) begin : g_lane
                wire [OW-1:0]    o_g      = o[g*OW +: OW];
                wire [7:0]       v_g      = v_r[g*8 +: 8];
                // -2^(OW+PB-1) <= o * alpha < 2^(OW+PB-1): exactly OW+PB bits
                /* verilator lint_off UNUSEDSIGNAL */
                wire [OW+PB-1:0] o_scaled = {{PB{o_g[OW-1]}}, o_g} * {{(OW-1){1'b0}}, alpha};
                /* verilator lint_on UNUSEDSIGNAL */
                wire [OW-1:0]    pv       = {{(OW-PB-1){1'b0}}, p} * {{(OW-8){v_g[7]}}, v_g};
                wire [OW-1:0]    o_sum    = (first ? {OW{1'b0}} : o_scaled[PB +: OW]) + pv;
                wire        [OW-2:0]    o_abs    = o_sum[OW-1] ? -o_sum[OW-2:0] : o_sum[OW-2:0];  // |o| < 2^(LW+7)
                reg         [NW-1:0]    num;
                reg         [7:0]       quo;
                reg                     neg;
                wire                    ge       = num >= {1'b0, dsor};
                assign o_next[g*OW +: OW] = o_sum;
                assign y[g*8 +: 8] = neg ? -quo : quo;
                always @(posedge clk) begin
                    if (load) begin
                        num <= {1'b0, o_abs, 1'b0} + {9'd0, l_next};
                        neg <= o_sum[OW-1];
                    end else if (dstep) begin
                        num <= ge ? num - {1'b0, dsor} : num;
                        quo <= {quo[6:0], ge};
                    end
                end
            end

            // no reset: q_reg is written before any key is scored; m, o and l are ignored while first = 1 (set by
            // reset); the divisor is written by load
            always @(posedge clk) begin
                if (fire && want_q && qi == ME) q_reg <= in_a;
                if (a_go) begin
                    m <= m_new;
                    o <= o_next;
                    l <= l_next;
                end
                if (load) dsor <= {l_next, 8'd0};
                else if (dstep) dsor <= dsor >> 1;
            end
        end
    endgenerate

    // no reset: each register here is written before its value is used. A bank's entries, max, lastidx and
    // last are written before full[] marks it.
    always @(posedge clk) begin
        if (key_fire) begin
            sbuf[{wb, widx}] <= score;
            vbuf[{wb, widx}] <= in_b;
            bmax[wb] <= wmax;
            if (close) begin
                lastidx[wb] <= widx;
                last[wb]    <= last_key;
            end
        end
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            want_q <= 1'b1;
            qi     <= {RW{1'b0}};
            kc     <= {KW{1'b0}};
            wb     <= 1'b0;
            widx   <= {IW{1'b0}};
            full   <= 2'b00;
            rb     <= 1'b0;
            ridx   <= {IW{1'b0}};
            first  <= 1'b1;
            dc     <= 4'd0;
            orow   <= {RW{1'b0}};
        end else begin
            if (fire && want_q) begin
                qi <= (qi == RLAST) ? {RW{1'b0}} : qi + 1'b1;
                if (qi == RLAST) want_q <= 1'b0;
            end
            if (key_fire) begin
                kc   <= last_key ? {KW{1'b0}} : kc + 1'b1;
                widx <= last_key ? {IW{1'b0}} : widx + 1'b1;
                if (last_key) want_q <= 1'b1;
                if (close) begin
                    full[wb] <= 1'b1;
                    wb <= !wb;
                end
            end
            if (a_go) begin
                first <= a_final;
                ridx  <= a_end ? {IW{1'b0}} : ridx + 1'b1;
                if (a_end) begin
                    full[rb] <= 1'b0;
                    rb <= !rb;
                end
            end
            if (o_fire) orow <= (orow == RLAST) ? {RW{1'b0}} : orow + 1'b1;
            if (load) dc <= 4'd9;
            else if (dstep || o_end) dc <= dc - 1'b1;
        end
    end
endmodule
