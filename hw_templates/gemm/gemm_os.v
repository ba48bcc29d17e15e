// Output-stationary systolic GEMM array: C[ROWS][COLS] = A[ROWS][K] x B[K][COLS].
//
// Operand stream (ready/valid): beat k of a job carries column k of A and row k of B,
//   in_a[i*IW +: IW] = A[i][k],  in_b[j*IW +: IW] = B[k][j].
// Result stream (ready/valid): ROWS beats per job, beat r carries row r of C,
//   out_data[j*AW +: AW] = C[r][j].
// The array advances every cycle; a missing input beat enters as a bubble (valid tag low).
// Accumulators come in BANKS banks used in turn, so later jobs compute while earlier ones drain; a job
// may start only when its bank has drained, which is the only place back-pressure reaches the input.
// The spec sizes BANKS so that, with no stalls, a bank has always drained by the time it comes round
// again (GemmSpec.acc_banks: ceil((K + 2*ROWS + COLS - 1) / max(K, ROWS)), at least 2): jobs then
// follow each other every max(K, ROWS) cycles whatever K is.
// SATURATE=1 clamps the running sum after every MAC, SATURATE=0 wraps modulo 2^AW.
// The module header (parameters, ports) is generated from the spec's ports (hw_templates/_base.py).
// @header
    localparam integer BW = (BANKS > 1) ? $clog2(BANKS) : 1;
    localparam integer TW = BW + 3;       // tag: {bank, last, first, valid}
    localparam integer BLAST_I = BANKS - 1;
    localparam [BW-1:0] BLAST = BLAST_I[BW-1:0];
    localparam integer KW = (K > 1) ? $clog2(K) : 1;
    localparam integer RW = (ROWS > 1) ? $clog2(ROWS) : 1;
    localparam [0:0]   SG = (SIGNED != 0) ? 1'b1 : 1'b0;
    localparam [0:0]   SAT = (SATURATE != 0) ? 1'b1 : 1'b0;

    // ---------------- input side: job framing and bank ownership ----------------
    reg  [KW-1:0] kcnt;
    reg  [BW-1:0] in_bank;
    reg  [BANKS-1:0] bank_busy;
    reg  [BANKS-1:0] bank_done;
    wire          job_start = (kcnt == {KW{1'b0}});
    wire          job_last  = (kcnt == K[KW-1:0] - 1'b1) || (K == 1);
    assign in_ready = !(job_start && bank_busy[in_bank]);
    wire          fire = in_valid && in_ready;

    // output side state (declared here: the drain frees banks)
    reg  [RW-1:0] out_row;
    reg  [BW-1:0] out_bank;
    wire          drain_done = out_valid && out_ready && (out_row == ROWS[RW-1:0] - 1'b1 || ROWS == 1);

    always @(posedge clk) begin
        if (!rst_n) begin
            kcnt    <= {KW{1'b0}};
            in_bank <= {BW{1'b0}};
        end else if (fire) begin
            if (job_last) begin
                kcnt    <= {KW{1'b0}};
                in_bank <= (in_bank == BLAST) ? {BW{1'b0}} : in_bank + 1'b1;
            end else begin
                kcnt <= kcnt + 1'b1;
            end
        end
    end

    // tag entering row 0 / column 0 this cycle
    wire [TW-1:0] tag_in = fire ? {in_bank, job_last, job_start, 1'b1} : {TW{1'b0}};

    // ---------------- input skew: row i of A delayed i cycles, column j of B delayed j ----------------
    wire [ROWS*(IW+TW)-1:0] left_in;   // {tag, a} entering each row
    wire [COLS*IW-1:0]      top_in;    // b entering each column
    genvar i, j;
    generate
        for (i = 0; i < ROWS; i = i + 1) begin : g_skew_a
            wire [IW+TW-1:0] x = {tag_in, fire ? in_a[i*IW +: IW] : {IW{1'b0}}};
            if (i == 0) begin : g_direct
                assign left_in[0 +: IW+TW] = x;
            end else begin : g_delay
                reg [IW+TW-1:0] sr [0:i-1];
                integer d;
                always @(posedge clk) begin
                    if (!rst_n) begin
                        for (d = 0; d < i; d = d + 1) sr[d] <= {(IW+TW){1'b0}};
                    end else begin
                        sr[0] <= x;
                        for (d = 1; d < i; d = d + 1) sr[d] <= sr[d-1];
                    end
                end
                assign left_in[i*(IW+TW) +: IW+TW] = sr[i-1];
            end
        end
        for (j = 0; j < COLS; j = j + 1) begin : g_skew_b
            wire [IW-1:0] y = fire ? in_b[j*IW +: IW] : {IW{1'b0}};
            if (j == 0) begin : g_direct
                assign top_in[0 +: IW] = y;
            end else begin : g_delay
                reg [IW-1:0] sr [0:j-1];
                integer d;
                always @(posedge clk) begin
                    sr[0] <= y;
                    for (d = 1; d < j; d = d + 1) sr[d] <= sr[d-1];
                end
                assign top_in[j*IW +: IW] = sr[j-1];
            end
        end
    endgenerate

    // ---------------- processing elements ----------------
    // h_bus: {tag, a} leaving PE(i,j) to the right; v_bus: b leaving PE(i,j) downwards.
    // The last column's h slots and the last row's v slots are tied off, never read.
    /* verilator lint_off UNUSEDSIGNAL */
    // One word per PE (not one flat bus): a reader then depends on its neighbour alone.
    wire [IW+TW-1:0]             h_bus [0:ROWS*COLS-1];
    wire [IW-1:0]                v_bus [0:ROWS*COLS-1];
    /* verilator lint_on UNUSEDSIGNAL */
    // accumulators by row: the drain selects one row word, never a slice of an all-PE bus (a simulator
    // re-evaluates every reader of a bus when any slice changes: at 32x32 that stalled Icarus)
    wire [COLS*AW-1:0]           acc_rows [0:BANKS*ROWS-1];   // bank b, row i at b*ROWS + i
    wire                         corner_done;   // PE(ROWS-1, COLS-1) finished a job
    wire [BW-1:0]                corner_bank;
    genvar b;

    generate
        for (i = 0; i < ROWS; i = i + 1) begin : g_row
            wire [COLS*AW-1:0] acc_row [0:BANKS-1];
            for (b = 0; b < BANKS; b = b + 1) begin : g_bank_row
                assign acc_rows[b*ROWS+i] = acc_row[b];
            end
            for (j = 0; j < COLS; j = j + 1) begin : g_col
                wire [IW+TW-1:0] ha = (j == 0) ? left_in[i*(IW+TW) +: IW+TW]
                                               : h_bus[i*COLS+j-1];
                wire [IW-1:0]    vb = (i == 0) ? top_in[j*IW +: IW]
                                               : v_bus[(i-1)*COLS+j];
                wire [IW-1:0]    a     = ha[IW-1:0];
                wire             valid = ha[IW];
                wire             first = ha[IW+1];
                wire [BW-1:0]    bank  = ha[IW+3 +: BW];

                // exact product in 2*IW bits, then extended to AW+1 bits for overflow detection
                wire [2*IW-1:0] ax = SG ? {{IW{a[IW-1]}}, a}   : {{IW{1'b0}}, a};
                wire [2*IW-1:0] bx = SG ? {{IW{vb[IW-1]}}, vb} : {{IW{1'b0}}, vb};
                wire [2*IW-1:0] prod = ax * bx;
                wire [AW:0]     prod_x = {{(AW+1-2*IW){SG ? prod[2*IW-1] : 1'b0}}, prod};

                reg  [AW-1:0] acc [0:BANKS-1];
                wire [AW-1:0] acc_cur = acc[bank];
                wire [AW-1:0] base = first ? {AW{1'b0}} : acc_cur;
                wire [AW:0]   base_x = {SG ? base[AW-1] : 1'b0, base};
                wire [AW:0]   sum = base_x + prod_x;
                wire          ovf = SG ? (sum[AW] != sum[AW-1]) : sum[AW];
                wire [AW-1:0] sat = SG ? (sum[AW] ? {1'b1, {(AW-1){1'b0}}} : {1'b0, {(AW-1){1'b1}}})
                                           : {AW{1'b1}};
                wire [AW-1:0] nxt = (SAT && ovf) ? sat : sum[AW-1:0];

                always @(posedge clk) begin
                    if (valid) acc[bank] <= nxt;
                end
                for (b = 0; b < BANKS; b = b + 1) begin : g_bank
                    assign acc_row[b][j*AW +: AW] = acc[b];
                end

                if (j < COLS - 1) begin : g_pass_a
                    reg [IW+TW-1:0] h_q;
                    always @(posedge clk) begin
                        if (!rst_n) h_q <= {(IW+TW){1'b0}};
                        else        h_q <= ha;
                    end
                    assign h_bus[i*COLS+j] = h_q;
                end else begin : g_edge_a
                    assign h_bus[i*COLS+j] = {(IW+TW){1'b0}};
                end
                if (i < ROWS - 1) begin : g_pass_b
                    reg [IW-1:0] v_q;
                    always @(posedge clk) v_q <= vb;
                    assign v_bus[i*COLS+j] = v_q;
                end else begin : g_edge_b
                    assign v_bus[i*COLS+j] = {IW{1'b0}};
                end
                if (i == ROWS - 1 && j == COLS - 1) begin : g_corner
                    assign corner_done = valid && ha[IW+2];   // tag 'last'
                    assign corner_bank = bank;
                end
            end
        end
    endgenerate

    // ---------------- output side: drain finished banks row by row ----------------
    assign out_valid = bank_done[out_bank];
    localparam [31:0] ROWS_U = ROWS;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] out_word = {{(32-BW){1'b0}}, out_bank} * ROWS_U + {{(32-RW){1'b0}}, out_row};  // low bits index
    /* verilator lint_on UNUSEDSIGNAL */
    assign out_data  = acc_rows[out_word];

    always @(posedge clk) begin
        if (!rst_n) begin
            bank_busy <= {BANKS{1'b0}};
            bank_done <= {BANKS{1'b0}};
            out_row   <= {RW{1'b0}};
            out_bank  <= {BW{1'b0}};
        end else begin
            if (fire && job_start) bank_busy[in_bank] <= 1'b1;
            // the corner PE computes its last MAC this cycle; the bank is complete next cycle
            if (corner_done) bank_done[corner_bank] <= 1'b1;
            if (out_valid && out_ready) begin
                if (drain_done) begin
                    out_row             <= {RW{1'b0}};
                    out_bank            <= (out_bank == BLAST) ? {BW{1'b0}} : out_bank + 1'b1;
                    bank_done[out_bank] <= 1'b0;
                    bank_busy[out_bank] <= 1'b0;
                end else begin
                    out_row <= out_row + 1'b1;
                end
            end
        end
    end
endmodule
