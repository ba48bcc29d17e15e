// Weight-stationary systolic GEMM array: C[M][COLS] = A[M][K] x B[K][COLS], ROWS x COLS PEs.
//
// K is cut into F = ceil(K / ROWS) weight folds; each fold takes L = max(M, ROWS, COLS - 1) beats.
// Beat j of fold f carries row j of A's fold slice (in_a[i*IW +: IW] = A[j][f*ROWS + i], j < M) and
// row f*ROWS + j of B (in_b[c*IW +: IW] = B[f*ROWS + j][c], j < ROWS): the weights load one PE row per
// beat into the buffer the array is not reading, while the M rows of A stream through the other one
// (double-buffered weights). Rows of A enter row 0 of the array first, lane i skewed by i cycles; A
// moves right and partial sums move down; a partial sum leaving the bottom waits L - ROWS cycles and
// re-enters at the top with the same row of the next fold, so saturation clamps after every MAC in k
// order. The last fold's sums are deskewed into M result beats (out_data[c*AW +: AW] = C[m][c]).
// Folds and jobs follow each other with no gap: a job every F * L cycles, first beat to last result
// (F - 1) * L + M + ROWS + COLS + 1 cycles (results leave through a two-row buffer). Between jobs the array runs on (bubbles); inside a job a
// missing beat, and anywhere a refused result, holds the whole array.
// The module header (parameters, ports) is generated from the spec's ports (hw_templates/_base.py).
// @header
    localparam integer F  = (K + ROWS - 1) / ROWS;        // weight folds per job
    localparam integer L0 = (M > ROWS) ? M : ROWS;
    localparam integer L  = (L0 > COLS - 1) ? L0 : COLS - 1;   // beats per fold
    localparam integer KREM = K - (F - 1) * ROWS;         // weight rows the last fold uses
    localparam integer D  = L - ROWS;                      // partial-sum wait, bottom -> top
    localparam integer LW = (L > 1) ? $clog2(L) : 1;
    localparam integer FW = (F > 1) ? $clog2(F) : 1;
    localparam integer TW = 4;                             // tag: {buffer, last, first, valid}
    localparam integer LLAST_I = L - 1;
    localparam [LW-1:0] LLAST = LLAST_I[LW-1:0];
    localparam integer FLAST_I = F - 1;
    localparam [FW-1:0] FLAST = FLAST_I[FW-1:0];
    localparam integer M_I = M;
    localparam [LW:0] MB = M_I[LW:0];                      // M <= L <= 2^LW
    localparam [0:0] SG = (SIGNED != 0) ? 1'b1 : 1'b0;
    localparam [0:0] SAT = (SATURATE != 0) ? 1'b1 : 1'b0;

    // ---------------- framing: beat within the fold, fold within the job ----------------
    reg  [LW-1:0] beat;
    reg  [FW-1:0] fold;
    reg           wbuf;       // weight buffer the fold being loaded fills (alternates every fold)
    wire          busy = (beat != {LW{1'b0}}) || (fold != {FW{1'b0}});
    wire          emit;       // the row at the array's tail is a result
    reg  [1:0]    ocnt;       // result rows held in the output buffer (0..2)
    wire          hold = emit && (ocnt == 2'd2);   // no room for the result: the array waits
    assign in_ready = !hold;
    wire          fire = in_valid && !hold;
    wire          adv = !hold && (in_valid || !busy);  // the array moves one step
    wire          fold_end = (beat == LLAST);
    wire          fold_last = (fold == FLAST);

    always @(posedge clk) begin
        if (!rst_n) begin
            beat <= {LW{1'b0}};
            fold <= {FW{1'b0}};
            wbuf <= 1'b0;
        end else if (fire) begin
            beat <= fold_end ? {LW{1'b0}} : beat + 1'b1;
            if (fold_end) begin
                fold <= fold_last ? {FW{1'b0}} : fold + 1'b1;
                wbuf <= ~wbuf;
            end
        end
    end

    wire          row_in = fire && ({1'b0, beat} < MB);   // beats past M carry no row of A
    wire [TW-1:0] tag_in = {wbuf, fold_last, fold == {FW{1'b0}}, row_in};

    // ---------------- stationary weights: row r of a fold loads on beat r ----------------
    wire [IW-1:0] w0 [0:ROWS*COLS-1];
    wire [IW-1:0] w1 [0:ROWS*COLS-1];
    genvar r, c;
    generate
        for (r = 0; r < ROWS; r = r + 1) begin : g_w
            localparam integer R_I = r;
            localparam [LW-1:0] RB = R_I[LW-1:0];           // r < ROWS <= L
            wire load = fire && (beat == RB);
            // rows past K in the last fold hold zero weights, so the lanes they meet add nothing
            wire used;
            if (r < KREM) begin : g_always
                assign used = 1'b1;
            end else begin : g_not_last
                assign used = !fold_last;
            end
            for (c = 0; c < COLS; c = c + 1) begin : g_c
                reg [IW-1:0] q0, q1;
                wire [IW-1:0] wv = used ? in_b[c*IW +: IW] : {IW{1'b0}};
                always @(posedge clk) begin
                    if (load && !wbuf) q0 <= wv;
                    if (load && wbuf)  q1 <= wv;
                end
                assign w0[r*COLS+c] = q0;
                assign w1[r*COLS+c] = q1;
            end
        end
    endgenerate

    // ---------------- input skew: lane r enters PE row r r + 1 steps after its beat ----------------
    wire [IW+TW-1:0] left_in [0:ROWS-1];
    generate
        for (r = 0; r < ROWS; r = r + 1) begin : g_skew
            // a cycle without a beat enters as a bubble: its tag says no row (whatever in_a holds)
            wire [IW+TW-1:0] x = {tag_in, in_a[r*IW +: IW]};
            reg  [IW+TW-1:0] sr [0:r];
            integer d;
            always @(posedge clk) begin
                if (!rst_n) begin
                    for (d = 0; d <= r; d = d + 1) sr[d] <= {(IW+TW){1'b0}};
                end else if (adv) begin
                    sr[0] <= x;
                    for (d = 1; d <= r; d = d + 1) sr[d] <= sr[d-1];
                end
            end
            assign left_in[r] = sr[r];
        end
    endgenerate

    // ---------------- the PE grid ----------------
    // h_bus: {tag, a} leaving PE(r,c) to the right; v_bus: partial sum leaving PE(r,c) downwards.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [IW+TW-1:0] h_bus [0:ROWS*COLS-1];
    /* verilator lint_on UNUSEDSIGNAL */
    wire [AW-1:0]    v_bus [0:ROWS*COLS-1];
    wire [AW-1:0]    top   [0:COLS-1];      // partial sum of the same row, previous fold
    generate
        for (r = 0; r < ROWS; r = r + 1) begin : g_row
            for (c = 0; c < COLS; c = c + 1) begin : g_col
                wire [IW+TW-1:0] ha = (c == 0) ? left_in[r] : h_bus[r*COLS+c-1];
                wire [IW-1:0] a     = ha[IW-1:0];
                wire          buf1  = ha[IW+3];
                wire [IW-1:0] wt    = buf1 ? w1[r*COLS+c] : w0[r*COLS+c];
                wire [AW-1:0] p_above;
                if (r == 0) begin : g_top
                    wire first = ha[IW+1];   // the job's first fold starts from zero
                    assign p_above = first ? {AW{1'b0}} : top[c];
                end else begin : g_down
                    assign p_above = v_bus[(r-1)*COLS+c];
                end
                wire [2*IW-1:0] ax = SG ? {{IW{a[IW-1]}}, a} : {{IW{1'b0}}, a};
                wire [2*IW-1:0] bx = SG ? {{IW{wt[IW-1]}}, wt} : {{IW{1'b0}}, wt};
                wire [2*IW-1:0] prod = ax * bx;
                wire [AW:0]     prod_x = {{(AW+1-2*IW){SG ? prod[2*IW-1] : 1'b0}}, prod};
                wire [AW:0]     base_x = {SG ? p_above[AW-1] : 1'b0, p_above};
                wire [AW:0]     sum = base_x + prod_x;
                wire            ovf = SG ? (sum[AW] != sum[AW-1]) : sum[AW];
                wire [AW-1:0]   satv = SG ? (sum[AW] ? {1'b1, {(AW-1){1'b0}}} : {1'b0, {(AW-1){1'b1}}})
                                          : {AW{1'b1}};
                reg  [AW-1:0]   p_q;
                always @(posedge clk) begin
                    if (adv) p_q <= (SAT && ovf) ? satv : sum[AW-1:0];
                end
                assign v_bus[r*COLS+c] = p_q;
                // a and its tag move right; the bottom row keeps them in every column (the last one's tag
                // says whether the row leaving the array is a result)
                if (c < COLS - 1 || r == ROWS - 1) begin : g_pass
                    reg [IW+TW-1:0] a_q;
                    always @(posedge clk) begin
                        if (!rst_n)   a_q <= {(IW+TW){1'b0}};
                        else if (adv) a_q <= ha;
                    end
                    assign h_bus[r*COLS+c] = a_q;
                end else begin : g_edge
                    assign h_bus[r*COLS+c] = {(IW+TW){1'b0}};
                end
            end
        end
    endgenerate

    // ---------------- partial sums wait L - ROWS steps between folds ----------------
    generate
        if (D == 0) begin : g_no_wait
            for (c = 0; c < COLS; c = c + 1) begin : g_c
                assign top[c] = v_bus[(ROWS-1)*COLS+c];
            end
        end else begin : g_wait
            localparam integer DW = (D > 1) ? $clog2(D) : 1;
            localparam integer DLAST_I = D - 1;
            localparam [DW-1:0] DLAST = DLAST_I[DW-1:0];
            reg [DW-1:0] ptr;
            always @(posedge clk) begin
                if (!rst_n)   ptr <= {DW{1'b0}};
                else if (adv) ptr <= (ptr == DLAST) ? {DW{1'b0}} : ptr + 1'b1;
            end
            for (c = 0; c < COLS; c = c + 1) begin : g_c
                reg [AW-1:0] mem [0:D-1];
                always @(posedge clk) begin
                    if (adv) mem[ptr] <= v_bus[(ROWS-1)*COLS+c];
                end
                assign top[c] = mem[ptr];
            end
        end
    endgenerate

    // ---------------- results: column c waits COLS - 1 - c steps so a row leaves whole ----------------
    // the row at the tail (bottom-right tag) is a row of A, in the job's last fold
    assign emit = h_bus[(ROWS-1)*COLS+COLS-1][IW] && h_bus[(ROWS-1)*COLS+COLS-1][IW+2];
    wire [COLS*AW-1:0] row_out;
    generate
        for (c = 0; c < COLS; c = c + 1) begin : g_out
            if (c == COLS - 1) begin : g_direct
                assign row_out[c*AW +: AW] = v_bus[(ROWS-1)*COLS+c];
            end else begin : g_deskew
                reg [AW-1:0] ds [0:COLS-2-c];
                integer d;
                always @(posedge clk) begin
                    if (adv) begin
                        ds[0] <= v_bus[(ROWS-1)*COLS+c];
                        for (d = 1; d <= COLS - 2 - c; d = d + 1) ds[d] <= ds[d-1];
                    end
                end
                assign row_out[c*AW +: AW] = ds[COLS-2-c];
            end
        end
    endgenerate

    // two-row output buffer: out_valid and out_data come from registers, and a refused result holds the
    // array only when both rows are taken
    reg  [COLS*AW-1:0] ob0, ob1;
    wire push = adv && emit;                       // never while both rows are taken (hold)
    wire pop  = out_valid && out_ready;
    wire [1:0] kept = ocnt - {1'b0, pop};          // rows still held after this cycle's pop
    assign out_valid = (ocnt != 2'd0);
    assign out_data  = ob0;
    always @(posedge clk) begin
        if (!rst_n) ocnt <= 2'd0;
        else        ocnt <= kept + {1'b0, push};
        if (pop) ob0 <= ob1;                        // the second row moves up
        if (push && kept == 2'd0) ob0 <= row_out;   // (overrides the move: the buffer was emptied)
        if (push && kept == 2'd1) ob1 <= row_out;
    end
endmodule
