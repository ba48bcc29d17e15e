// Softmax over one vector of NB beats x P lanes per job, in four stages: LOAD (II=1, running max), EXP (one
// beat per cycle: e = T[frac] >> int, summed), DIV (restoring division 2^K / sum, U quotient bits per cycle,
// DC = ceil(QB / U) cycles), OUT (II=1, p = round(e * q / 2^(EB+G)), e recomputed from the buffer).
// NS vector slots: job n+1 loads while up to NS - 1 earlier jobs are in EXP, DIV or OUT. Loads, the EXP engine
// and the OUT engine each serve one slot at a time in slot order; every slot has its own divider. A job alone
// takes 3 NB + DC cycles; back to back a slot is reused every 3 NB + DC cycles, so jobs start every
// max(NB, (3 NB + DC) / NS) cycles (one beat per cycle once NS >= 3 + DC / NB).
// The exp table T is a function in the generated wrapper (lut_in -> lut_out: P lanes for EXP, and with NS > 1
// P more for OUT; one slot never has both at once, so NS = 1 shares one port), so this file is fixed.
// Widths follow the value bounds stated beside them.
// Parameters: P lanes per beat; NB beats per vector; IW signed logit bits with IF fraction bits; OW unsigned
// probability bits with OF fraction bits (OF <= OW); FB exp table index bits; EB exp fraction bits (T[0] = 2^EB);
// LOG2E with CB fraction bits; G reciprocal guard bits; NS vector slots (jobs in flight); U quotient bits per
// division cycle; LP exp table ports (2 when NS > 1). The module header is generated from the spec's ports.
// @header
    localparam integer AW = (NB > 1) ? $clog2(NB) : 1;
    localparam integer SA = (NS > 1) ? $clog2(NS) : 1;     // slot index bits
    localparam integer VD = (NS > 1) ? (NS << AW) : NB;    // buffer rows: slot-major {slot, beat} with NS > 1
    localparam integer SW = EB + $clog2(NB * P + 1);       // sum of NB*P terms <= 2^EB each: <= NB*P*2^EB
    localparam integer BW = EB + $clog2(P + 1);            // beat sum of P terms: <= P*2^EB
    localparam integer QB = OF + G + 1;                    // quotient bits: 2^K / sum <= 2^(OF+G)
    localparam integer DC = (QB + U - 1) / U;              // division cycles
    localparam integer CW = (DC > 1) ? $clog2(DC) : 1;     // division cycle counter 0 .. DC-1
    localparam integer DROP = IF + CB - FB;                // fraction bits below the table index
    // d * LOG2E + half: d * LOG2E < 2^(IW+CB+1) (LOG2E < 2^(CB+1)) and reaches 2^(IW+CB) at d = 2^IW - 1
    // (LOG2E > 2^CB * 4/3, IW >= 2); the half carries past that only when DROP > IW + CB, where the
    // index and shift slices need DROP + FB + 1 bits anyway
    localparam integer TW = (IW + CB + 1 > DROP + FB) ? IW + CB + 1 : DROP + FB + 1;
    localparam integer PW = EB + G + OW + 1;               // e * q + half <= 2^(EB+G) * (2^OF + 1/2)
    localparam integer LAST_I = NB - 1;
    localparam integer DLAST_I = DC - 1;
    localparam integer ULAST = QB - (DC - 1) * U;       // steps in the last division cycle (1 .. U)
    localparam integer SLAST_I = NS - 1;
    localparam [AW-1:0] LAST = LAST_I[AW-1:0];
    localparam [CW-1:0] DLAST = DLAST_I[CW-1:0];
    localparam [SA-1:0] SLAST = SLAST_I[SA-1:0];
    localparam [TW-1:0] C = LOG2E[TW-1:0];
    localparam [TW-1:0] TONE = 1;
    localparam [TW-1:0] HALF = TONE << (DROP - 1);
    localparam [PW-1:0] PONE = 1;
    localparam [PW-1:0] PHALF = PONE << (EB + G - 1);
    localparam [SW-1:0] RONE = 1;
    localparam [SW-1:0] REM0 = RONE << (EB - 1);

    reg  [P*IW-1:0]  vbuf [0:VD-1];
    // LOAD: slot lp, beat lptr, running max lmx
    reg  [SA-1:0]    lp;
    reg  [AW-1:0]    lptr;
    reg  signed [IW-1:0] lmx;
    // EXP: slot es, beat eptr, running sum esum (ex_on while a vector is in EXP)
    reg              ex_on;
    reg  [SA-1:0]    es;
    reg  [AW-1:0]    eptr;
    reg  [SW-1:0]    esum;
    // OUT: slot op, beat optr
    reg  [SA-1:0]    op;
    reg  [AW-1:0]    optr;
    // per slot (g_slot): busy from its last input beat to its last output beat, ready once divided
    wire [NS-1:0]    busy, rdy;
    wire [IW-1:0]    mx_arr [0:NS-1];  // each slot's vector maximum (a signed code)
    wire [QB-1:0]    q_arr  [0:NS-1];  // each slot's reciprocal

    assign in_ready  = !busy[lp];
    assign out_valid = rdy[op];
    wire in_fire  = in_valid && in_ready;
    wire out_fire = out_valid && out_ready;
    wire l_last   = (lptr == LAST);
    wire e_last   = (eptr == LAST);
    wire o_last   = (optr == LAST);
    wire l_done   = in_fire && l_last;     // a vector fully loaded (slot lp): its EXP starts next cycle
    wire e_done   = ex_on && e_last;       // slot es summed: its division starts next cycle
    wire o_done   = out_fire && o_last;    // slot op drained: it loads again from next cycle

    // beat maximum of the incoming lanes, folded with the running max after the first beat
    reg signed [IW-1:0] bmax;
    integer k;
    always @(*) begin
        bmax = $signed(in_data[IW-1:0]);
        for (k = 1; k < P; k = k + 1)
            if ($signed(in_data[k*IW +: IW]) > bmax) bmax = $signed(in_data[k*IW +: IW]);
        if (lptr != {AW{1'b0}} && lmx > bmax) bmax = lmx;
    end

    wire [SW-1:0]    esum_next;
    wire [P*(EB+1)-1:0] e_exp, e_out;  // e of the EXP beat and of the OUT beat
    wire [QB-1:0]    q_out = q_arr[op];
    wire [P*OW-1:0]  p;
    localparam integer VA = (VD > 1) ? $clog2(VD) : 1;
    wire [VA-1:0]    la, ea, oa;  // buffer rows of the three engines
    genvar i, j;
    generate
        if (NS > 1) begin : g_addr
            assign la = {lp, lptr};
            assign ea = {es, eptr};
            assign oa = {op, optr};
        end else begin : g_addr1
            assign la = lptr;
            assign ea = eptr;
            assign oa = optr;
        end
        // per table port j: the row and the max it works on (port 0: EXP; port 1: OUT; NS = 1: port 0 for both)
        for (j = 0; j < LP; j = j + 1) begin : g_port
            wire             use_out = (LP > 1) ? (j == 1) : !ex_on;
            wire [P*IW-1:0]  row     = use_out ? vbuf[oa] : vbuf[ea];
            wire [IW-1:0]    mx      = use_out ? mx_arr[op] : mx_arr[es];
            wire [P*(EB+1)-1:0] e;
            // per lane: e = T[j] >> n where n.j = round(d * log2 e) at FB fraction bits, d = max - x
            for (i = 0; i < P; i = i + 1) begin : g_lane
                wire [IW-1:0]   x     = row[i*IW +: IW];
                wire [IW-1:0]   d     = mx - x;  // 0 <= max - x <= 2^IW - 1: exact modulo 2^IW
                /* verilator lint_off UNUSEDSIGNAL */
                wire [TW-1:0]   tr    = {{(TW-IW){1'b0}}, d} * C + HALF;  // bits below DROP only round
                /* verilator lint_on UNUSEDSIGNAL */
                wire [EB:0]     tv    = lut_out[(j*P+i)*(EB+1) +: (EB+1)];
                assign lut_in[(j*P+i)*FB +: FB] = tr[DROP +: FB];
                // a shift of EB + 1 or more leaves 0, as 2^-n rounds to below the LSB
                assign e[i*(EB+1) +: (EB+1)] = tv >> tr[TW-1:DROP+FB];
            end
        end
        assign e_exp = g_port[0].e;
        assign e_out = g_port[LP-1].e;
        for (i = 0; i < P; i = i + 1) begin : g_out
            // e <= sum and q <= 2^K / sum, so e * q <= 2^K and p <= 2^OF <= 2^OW: the top bit is set only
            // by p = 2^OW (OF = OW, one element holding all the mass), the one code to clamp
            wire [PW-1:0]   prod  = {{(PW-EB-1){1'b0}}, e_out[i*(EB+1) +: (EB+1)]} * {{(PW-QB){1'b0}}, q_out} + PHALF;
            assign p[i*OW +: OW] = prod[PW-1] ? {OW{1'b1}} : prod[EB+G +: OW];
        end
    endgenerate
    assign out_data = p;

    reg [BW-1:0] bsum;
    integer m;
    always @(*) begin
        bsum = {BW{1'b0}};
        for (m = 0; m < P; m = m + 1)
            bsum = bsum + {{(BW-EB-1){1'b0}}, e_exp[m*(EB+1) +: (EB+1)]};
    end
    assign esum_next = (eptr == {AW{1'b0}}) ? {{(SW-BW){1'b0}}, bsum} : esum + {{(SW-BW){1'b0}}, bsum};

    // U restoring steps of rem / sum in division cycle c; the last cycle takes the QB - (DC - 1) U left
    function [SW+QB-1:0] divsteps(input [SW-1:0] r, input [QB-1:0] qq, input [SW-1:0] s, input [CW-1:0] c);
        integer u;
        reg [SW:0] r2, rs;
        begin
            for (u = 0; u < U; u = u + 1)
                if (c != DLAST || u < ULAST) begin
                    r2 = {r, 1'b0};
                    rs = r2 - {1'b0, s};
                    r  = rs[SW] ? r2[SW-1:0] : rs[SW-1:0];  // no borrow: r2 >= s (then r2 - s < s < 2^SW)
                    qq = {qq[QB-2:0], !rs[SW]};
                end
            divsteps = {r, qq};
        end
    endfunction

    genvar sl;
    generate
        for (sl = 0; sl < NS; sl = sl + 1) begin : g_slot
            localparam integer SI = sl;
            localparam [SA-1:0] ME = SI[SA-1:0];
            reg              s_busy, s_rdy, dv_on;
            reg signed [IW-1:0] mx;
            reg  [SW-1:0]    sum;
            reg  [SW-1:0]    rem;  // rem < sum
            reg  [QB-1:0]    q;
            reg  [CW-1:0]    cnt;
            wire [SW+QB-1:0] nxt = divsteps(rem, q, sum, cnt);
            assign busy[sl] = s_busy;
            assign rdy[sl]  = s_rdy;
            assign mx_arr[sl] = $unsigned(mx);
            assign q_arr[sl]  = q;
            always @(posedge clk) begin
                if (l_done && lp == ME) mx <= bmax;
                if (e_done && es == ME) begin
                    sum <= esum_next;
                    rem <= REM0;
                    cnt <= {CW{1'b0}};
                end
                if (dv_on) begin
                    {rem, q} <= nxt;
                    cnt <= cnt + 1'b1;
                end
            end
            always @(posedge clk) begin
                if (!rst_n) begin
                    s_busy <= 1'b0;
                    s_rdy  <= 1'b0;
                    dv_on  <= 1'b0;
                end else begin
                    if (l_done && lp == ME) s_busy <= 1'b1;
                    if (e_done && es == ME) dv_on <= 1'b1;
                    if (dv_on && cnt == DLAST) begin
                        dv_on <= 1'b0;
                        s_rdy <= 1'b1;
                    end
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
            lmx <= bmax;
        end
        if (ex_on) esum <= esum_next;
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            lp    <= {SA{1'b0}};
            lptr  <= {AW{1'b0}};
            ex_on <= 1'b0;
            es    <= {SA{1'b0}};
            eptr  <= {AW{1'b0}};
            op    <= {SA{1'b0}};
            optr  <= {AW{1'b0}};
        end else begin
            if (ex_on) begin
                eptr <= e_last ? {AW{1'b0}} : eptr + 1'b1;
                if (e_last) ex_on <= 1'b0;
            end
            if (in_fire) begin
                lptr <= l_last ? {AW{1'b0}} : lptr + 1'b1;
                if (l_last) begin  // after the EXP update: a vector may finish EXP as the next finishes loading
                    lp    <= (lp == SLAST) ? {SA{1'b0}} : lp + 1'b1;
                    ex_on <= 1'b1;
                    es    <= lp;
                    eptr  <= {AW{1'b0}};
                end
            end
            if (out_fire) begin
                optr <= o_last ? {AW{1'b0}} : optr + 1'b1;
                if (o_last) op <= (op == SLAST) ? {SA{1'b0}} : op + 1'b1;
            end
        end
    end
endmodule
