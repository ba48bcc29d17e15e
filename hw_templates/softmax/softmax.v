// Softmax over one vector of NB beats x P lanes per job, four phases on one vector buffer:
// LOAD (II=1, running max), EXP (one beat per cycle: e = T[frac] >> int, summed), DIV (restoring
// division 2^K / sum, QB cycles), OUT (II=1, p = round(e * q / 2^(EB+G)), e recomputed from the buffer).
// The exp table T is a function in the generated wrapper (lut_in -> lut_out), so this file is fixed.
// Widths follow the value bounds stated beside them.
module softmax #(
    parameter integer P = 4,        // lanes per beat
    parameter integer NB = 4,       // beats per vector
    parameter integer IW = 8,       // signed logit bits
    parameter integer IF = 4,       // logit fraction bits
    parameter integer OW = 8,       // unsigned probability bits
    parameter integer OF = 8,       // probability fraction bits (OF <= OW)
    parameter integer FB = 6,       // exp table index bits
    parameter integer EB = 16,      // exp fraction bits (T[0] = 2^EB)
    parameter integer CB = 16,      // fraction bits of LOG2E
    parameter integer LOG2E = 94548,
    parameter integer G = 4         // reciprocal guard bits
) (
    input  wire            clk,
    input  wire            rst_n,
    input  wire            in_valid,
    output wire            in_ready,
    input  wire [P*IW-1:0] in_data,
    output wire            out_valid,
    input  wire            out_ready,
    output wire [P*OW-1:0] out_data,
    output wire [P*FB-1:0] lut_in,
    input  wire [P*(EB+1)-1:0] lut_out
);
    localparam integer AW = (NB > 1) ? $clog2(NB) : 1;
    localparam integer SW = EB + $clog2(NB * P + 1);       // sum of NB*P terms <= 2^EB each: <= NB*P*2^EB
    localparam integer BW = EB + $clog2(P + 1);            // beat sum of P terms: <= P*2^EB
    localparam integer QB = OF + G + 1;                    // quotient bits: 2^K / sum <= 2^(OF+G)
    localparam integer CW = $clog2(QB);                    // division step counter 0 .. QB-1
    localparam integer DROP = IF + CB - FB;                // fraction bits below the table index
    // d * LOG2E + half: d * LOG2E < 2^(IW+CB+1) (LOG2E < 2^(CB+1)) and reaches 2^(IW+CB) at d = 2^IW - 1
    // (LOG2E > 2^CB * 4/3, IW >= 2); the half carries past that only when DROP > IW + CB, where the
    // index and shift slices need DROP + FB + 1 bits anyway
    localparam integer TW = (IW + CB + 1 > DROP + FB) ? IW + CB + 1 : DROP + FB + 1;
    localparam integer PW = EB + G + OW + 1;               // e * q + half <= 2^(EB+G) * (2^OF + 1/2)
    localparam [1:0] LOAD = 2'd0, EXP = 2'd1, DIV = 2'd2, OUT = 2'd3;
    localparam integer LAST_I = NB - 1;
    localparam integer QLAST_I = QB - 1;
    localparam [AW-1:0] LAST = LAST_I[AW-1:0];
    localparam [CW-1:0] QLAST = QLAST_I[CW-1:0];
    localparam [TW-1:0] C = LOG2E[TW-1:0];
    localparam [TW-1:0] TONE = 1;
    localparam [TW-1:0] HALF = TONE << (DROP - 1);
    localparam [PW-1:0] PONE = 1;
    localparam [PW-1:0] PHALF = PONE << (EB + G - 1);
    localparam [SW-1:0] RONE = 1;
    localparam [SW-1:0] REM0 = RONE << (EB - 1);

    reg  [1:0]       ph;
    reg  [AW-1:0]    ptr;
    reg  [CW-1:0]    cnt;
    reg  [P*IW-1:0]  vbuf [0:NB-1];
    reg  signed [IW-1:0] mx;
    reg  [SW-1:0]    sum;
    reg  [SW-1:0]    rem;  // rem < sum
    reg  [QB-1:0]    q;

    assign in_ready  = (ph == LOAD);
    assign out_valid = (ph == OUT);
    wire in_fire  = in_valid && in_ready;
    wire out_fire = out_valid && out_ready;
    wire at_last  = (ptr == LAST);

    // beat maximum of the incoming lanes, folded with the running max after the first beat
    reg signed [IW-1:0] bmax;
    integer k;
    always @(*) begin
        bmax = $signed(in_data[IW-1:0]);
        for (k = 1; k < P; k = k + 1)
            if ($signed(in_data[k*IW +: IW]) > bmax) bmax = $signed(in_data[k*IW +: IW]);
        if (ptr != {AW{1'b0}} && mx > bmax) bmax = mx;
    end

    // per lane: e = T[j] >> n where n.j = round(d * log2 e) at FB fraction bits, d = max - x
    wire [P*IW-1:0]  row = vbuf[ptr];
    wire [P*(EB+1)-1:0] e;
    wire [P*OW-1:0]  p;
    genvar i;
    generate
        for (i = 0; i < P; i = i + 1) begin : g_lane
            wire [IW-1:0]   x     = row[i*IW +: IW];
            wire [IW-1:0]   d     = $unsigned(mx) - x;  // 0 <= max - x <= 2^IW - 1: exact modulo 2^IW
            /* verilator lint_off UNUSEDSIGNAL */
            wire [TW-1:0]   tr    = {{(TW-IW){1'b0}}, d} * C + HALF;  // bits below DROP only round
            /* verilator lint_on UNUSEDSIGNAL */
            wire [EB:0]     tv    = lut_out[i*(EB+1) +: (EB+1)];
            assign lut_in[i*FB +: FB] = tr[DROP +: FB];
            // a shift of EB + 1 or more leaves 0, as 2^-n rounds to below the LSB
            assign e[i*(EB+1) +: (EB+1)] = tv >> tr[TW-1:DROP+FB];
            // e <= sum and q <= 2^K / sum, so e * q <= 2^K and p <= 2^OF <= 2^OW: the top bit is set only
            // by p = 2^OW (OF = OW, one element holding all the mass), the one code to clamp
            wire [PW-1:0]   prod  = {{(PW-EB-1){1'b0}}, e[i*(EB+1) +: (EB+1)]} * {{(PW-QB){1'b0}}, q} + PHALF;
            assign p[i*OW +: OW] = prod[PW-1] ? {OW{1'b1}} : prod[EB+G +: OW];
        end
    endgenerate
    assign out_data = p;

    reg [BW-1:0] bsum;
    integer m;
    always @(*) begin
        bsum = {BW{1'b0}};
        for (m = 0; m < P; m = m + 1)
            bsum = bsum + {{(BW-EB-1){1'b0}}, e[m*(EB+1) +: (EB+1)]};
    end

    wire [SW:0] rem2 = {rem, 1'b0};
    wire [SW:0] rsub = rem2 - {1'b0, sum};
    wire        take = !rsub[SW];  // no borrow: rem2 >= sum (then rem2 - sum < sum < 2^SW)

    always @(posedge clk) begin
        if (in_fire) begin
            vbuf[ptr] <= in_data;
            mx <= bmax;
        end
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            ph  <= LOAD;
            ptr <= {AW{1'b0}};
        end else begin
            case (ph)
                LOAD: if (in_fire) begin
                    ptr <= at_last ? {AW{1'b0}} : ptr + 1'b1;
                    if (at_last) ph <= EXP;
                end
                EXP: begin
                    sum <= (ptr == {AW{1'b0}}) ? {{(SW-BW){1'b0}}, bsum} : sum + {{(SW-BW){1'b0}}, bsum};
                    ptr <= at_last ? {AW{1'b0}} : ptr + 1'b1;
                    rem <= REM0;
                    cnt <= {CW{1'b0}};
                    if (at_last) ph <= DIV;
                end
                DIV: begin
                    rem <= take ? rsub[SW-1:0] : rem2[SW-1:0];
                    q   <= {q[QB-2:0], take};
                    cnt <= cnt + 1'b1;
                    if (cnt == QLAST) ph <= OUT;
                end
                default: if (out_fire) begin
                    ptr <= at_last ? {AW{1'b0}} : ptr + 1'b1;
                    if (at_last) ph <= LOAD;
                end
            endcase
        end
    end
endmodule
