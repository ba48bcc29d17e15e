// Weight-stationary systolic GEMM array: C[ROWS][COLS] = A[ROWS][K] x B[K][COLS], ROWS x COLS PEs.
//
// Same streams as gemm_os: beat k carries column k of A (in_a[i*IW +: IW] = A[i][k]) and row k of B
// (in_b[j*IW +: IW] = B[k][j]); ROWS result beats leave row 0 first (out_data[j*AW +: AW] = C[r][j]).
// K is processed in folds of ROWS: LOAD takes a fold's beats (B rows become the stationary weights
// W[r][c], A columns go to a buffer), STREAM pushes the ROWS rows of A through the array (A moves
// right, partial sums move down; column c's partial sum enters at the top from the output buffer
// so saturation clamps after every MAC in k order), OUT drains the buffer after the last fold.
// Per fold: up to ROWS load beats + (2*ROWS + COLS - 1) stream cycles; nothing overlaps, like SCALE-Sim.
// The module header (parameters, ports) is generated from the spec's ports (hw_templates/_base.py).
// @header
    localparam integer KW = (K > 1) ? $clog2(K) : 1;
    localparam integer RW = (ROWS > 1) ? $clog2(ROWS) : 1;
    localparam integer TAU_LAST_I = 2 * ROWS + COLS - 2;       // last stream cycle (bottom write of row ROWS-1, col COLS-1)
    localparam integer TW = $clog2(TAU_LAST_I + 1);
    localparam [TW-1:0] TAU_LAST = TAU_LAST_I[TW-1:0];
    localparam integer KLAST_I = K - 1;
    localparam [KW-1:0] KLAST = KLAST_I[KW-1:0];
    localparam integer RLAST_I = ROWS - 1;
    localparam [RW-1:0] RLAST = RLAST_I[RW-1:0];
    localparam [0:0] SG = (SIGNED != 0) ? 1'b1 : 1'b0;
    localparam [0:0] SAT = (SATURATE != 0) ? 1'b1 : 1'b0;
    localparam [1:0] S_LOAD = 2'd0, S_STREAM = 2'd1, S_OUT = 2'd2;

    reg [1:0]    state;
    reg [KW-1:0] kpos;        // beat index within the job
    reg [RW-1:0] frow;        // beat index within the fold = weight row being loaded
    reg [TW-1:0] tau;         // stream cycle
    reg          first_fold;  // partial sums start from zero
    reg          last_fold;   // the fold being streamed ends the job
    reg [RW-1:0] orow;        // output row being drained

    assign in_ready  = (state == S_LOAD);
    assign out_valid = (state == S_OUT);
    wire fire = in_valid && in_ready;
    wire job_end_beat = (kpos == KLAST) || (K == 1);

    always @(posedge clk) begin
        if (!rst_n) begin
            state      <= S_LOAD;
            kpos       <= {KW{1'b0}};
            frow       <= {RW{1'b0}};
            tau        <= {TW{1'b0}};
            first_fold <= 1'b1;
            last_fold  <= 1'b0;
            orow       <= {RW{1'b0}};
        end else begin
            case (state)
                S_LOAD: if (fire) begin
                    frow <= (frow == RLAST || job_end_beat) ? {RW{1'b0}} : frow + 1'b1;
                    kpos <= job_end_beat ? {KW{1'b0}} : kpos + 1'b1;
                    if (job_end_beat) last_fold <= 1'b1;
                    if (frow == RLAST || job_end_beat) state <= S_STREAM;
                end
                S_STREAM: begin
                    if (tau == TAU_LAST) begin
                        tau        <= {TW{1'b0}};
                        first_fold <= 1'b0;
                        state      <= last_fold ? S_OUT : S_LOAD;
                    end else begin
                        tau <= tau + 1'b1;
                    end
                end
                default: if (out_ready) begin
                    if (orow == RLAST || ROWS == 1) begin
                        orow       <= {RW{1'b0}};
                        state      <= S_LOAD;
                        first_fold <= 1'b1;
                        last_fold  <= 1'b0;
                    end else begin
                        orow <= orow + 1'b1;
                    end
                end
            endcase
        end
    end

    // stationary weights W[r][c] and the fold's A block ab[m][r]; a fold's first beat clears stale rows
    wire [IW-1:0] w  [0:ROWS*COLS-1];
    wire [IW-1:0] ab [0:ROWS*ROWS-1];
    reg  [AW-1:0] ob [0:ROWS*COLS-1];
    localparam [31:0] R_U = ROWS;
    localparam [31:0] C_U = COLS;
    wire [31:0] tau_u = {{(32-TW){1'b0}}, tau};
    genvar r, c;
    generate
        for (r = 0; r < ROWS; r = r + 1) begin : g_load
            localparam [RW-1:0] RR = r;
            wire hit = fire && (frow == RR);
            wire clr = fire && (frow == {RW{1'b0}});
            for (c = 0; c < COLS; c = c + 1) begin : g_w
                reg [IW-1:0] q;
                always @(posedge clk) begin
                    if (hit)      q <= in_b[c*IW +: IW];
                    else if (clr) q <= {IW{1'b0}};
                end
                assign w[r*COLS+c] = q;
            end
            for (c = 0; c < ROWS; c = c + 1) begin : g_a
                reg [IW-1:0] q;
                always @(posedge clk) begin
                    if (hit)      q <= in_a[c*IW +: IW];
                    else if (clr) q <= {IW{1'b0}};
                end
                assign ab[c*ROWS+r] = q;
            end
        end
    endgenerate

    // ---------------- the PE grid ----------------
    /* verilator lint_off UNUSEDSIGNAL */
    wire [ROWS*COLS*IW-1:0] h_bus;   // a leaving PE(r,c) to the right (last column unused)
    /* verilator lint_on UNUSEDSIGNAL */
    wire [ROWS*COLS*AW-1:0] v_bus;   // partial sum leaving PE(r,c) downwards
    wire streaming = (state == S_STREAM);
    generate
        for (r = 0; r < ROWS; r = r + 1) begin : g_row
            for (c = 0; c < COLS; c = c + 1) begin : g_col
                localparam [31:0] RU = r;
                localparam [31:0] CU = c;
                // row r's input at stream cycle tau is A[tau - r][r] (skewed), zero outside the window
                // (unsigned wrap-around: tau < r gives a huge m, outside the window)
                wire [IW-1:0] a_left;
                if (c == 0) begin : g_inject
                    wire [31:0] m_in   = tau_u - RU;
                    wire        in_win = streaming && (m_in < R_U);
                    assign a_left = in_win ? ab[m_in * R_U + RU] : {IW{1'b0}};
                end else begin : g_chain
                    assign a_left = h_bus[(r*COLS+c-1)*IW +: IW];
                end
                // column c's top input at stream cycle tau is the running sum of row tau - c
                wire [AW-1:0] p_above;
                if (r == 0) begin : g_top
                    wire [31:0] m_top   = tau_u - CU;
                    wire        top_win = streaming && !first_fold && (m_top < R_U);
                    assign p_above = top_win ? ob[m_top * C_U + CU] : {AW{1'b0}};
                end else begin : g_down
                    assign p_above = v_bus[((r-1)*COLS+c)*AW +: AW];
                end
                wire [IW-1:0]   wt = w[RU * C_U + CU];
                wire [2*IW-1:0] ax = SG ? {{IW{a_left[IW-1]}}, a_left} : {{IW{1'b0}}, a_left};
                wire [2*IW-1:0] bx = SG ? {{IW{wt[IW-1]}}, wt} : {{IW{1'b0}}, wt};
                wire [2*IW-1:0] prod = ax * bx;
                wire [AW:0]     prod_x = {{(AW+1-2*IW){SG ? prod[2*IW-1] : 1'b0}}, prod};
                wire [AW:0]     base_x = {SG ? p_above[AW-1] : 1'b0, p_above};
                wire [AW:0]     sum = base_x + prod_x;
                wire            ovf = SG ? (sum[AW] != sum[AW-1]) : sum[AW];
                wire [AW-1:0]   satv = SG ? (sum[AW] ? {1'b1, {(AW-1){1'b0}}} : {1'b0, {(AW-1){1'b1}}})
                                          : {AW{1'b1}};
                reg  [IW-1:0]   a_q;
                reg  [AW-1:0]   p_q;
                always @(posedge clk) begin
                    a_q <= a_left;
                    p_q <= (SAT && ovf) ? satv : sum[AW-1:0];
                end
                assign h_bus[(r*COLS+c)*IW +: IW] = a_q;
                assign v_bus[(r*COLS+c)*AW +: AW] = p_q;
            end
        end
        // bottom of column c at stream cycle tau holds the finished sum of row tau - ROWS - c
        for (c = 0; c < COLS; c = c + 1) begin : g_wb
            localparam [31:0] CU = c;
            wire [31:0] m_out = tau_u - R_U - CU;
            wire        out_win = streaming && (m_out < R_U);
            always @(posedge clk) begin
                if (out_win) ob[m_out * C_U + CU] <= v_bus[((ROWS-1)*COLS+c)*AW +: AW];
            end
        end
    endgenerate

    wire [31:0] orow_u = {{(32-RW){1'b0}}, orow};
    generate
        for (c = 0; c < COLS; c = c + 1) begin : g_out
            localparam [31:0] CU = c;
            assign out_data[c*AW +: AW] = ob[orow_u * C_U + CU];
        end
    endgenerate
endmodule
