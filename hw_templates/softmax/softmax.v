// Softmax over one vector of NB beats x P lanes per job, four phases on one vector buffer:
// LOAD (II=1, running max), EXP (one beat per cycle: e = T[frac] >> int, summed), DIV (restoring
// division 2^K / sum, QB cycles), OUT (II=1, p = round(e * q / 2^(EB+G)), e recomputed from the buffer).
// The exp table T is a function in the generated wrapper (lut_in -> lut_out), so this file is fixed.
module softmax #(
    parameter integer P = 4,        // lanes per beat
    parameter integer NB = 4,       // beats per vector
    parameter integer IW = 8,       // signed logit bits
    parameter integer IF = 4,       // logit fraction bits
    parameter integer OW = 8,       // unsigned probability bits
    parameter integer OF = 8,       // probability fraction bits
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
    localparam integer SW = EB + 1 + $clog2(NB * P + 1);   // sum of NB*P terms <= 2^EB each
    localparam integer QB = OF + G + 1;                    // quotient bits: 2^K / sum < 2^QB
    localparam integer CW = $clog2(QB + 1);
    localparam integer TW = IW + 1 + CB + 2;               // width of d * LOG2E + half
    localparam integer DROP = IF + CB - FB;
    localparam integer PW = EB + 1 + QB;                   // e * q
    localparam [1:0] LOAD = 2'd0, EXP = 2'd1, DIV = 2'd2, OUT = 2'd3;
    localparam integer LAST_I = NB - 1;
    localparam integer QLAST_I = QB - 1;
    localparam [AW-1:0] LAST = LAST_I[AW-1:0];
    localparam [CW-1:0] QLAST = QLAST_I[CW-1:0];
    localparam [TW-1:0] C = LOG2E[TW-1:0];
    localparam [TW-1:0] TONE = 1;
    localparam [TW-1:0] HALF = TONE << (DROP - 1);
    localparam [TW-1:0] EBW = EB[TW-1:0];
    localparam [PW-1:0] PONE = 1;
    localparam [PW-1:0] PHALF = PONE << (EB + G - 1);
    localparam [PW-1:0] OMAX = (PONE << OW) - PONE;
    localparam [SW:0]   RONE = 1;
    localparam [SW:0]   REM0 = RONE << (EB - 1);

    reg  [1:0]       ph;
    reg  [AW-1:0]    ptr;
    reg  [CW-1:0]    cnt;
    reg  [P*IW-1:0]  vbuf [0:NB-1];
    reg  signed [IW-1:0] mx;
    reg  [SW-1:0]    sum;
    reg  [SW:0]      rem;
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
            wire [IW:0]     d     = {mx[IW-1], mx} - {x[IW-1], x};  // max - x >= 0
            wire [TW-1:0]   tr    = ({{(TW-IW-1){1'b0}}, d} * C + HALF) >> DROP;
            wire [TW-1:0]   n     = tr >> FB;
            wire [EB:0]     tv    = lut_out[i*(EB+1) +: (EB+1)];
            assign lut_in[i*FB +: FB] = tr[FB-1:0];
            assign e[i*(EB+1) +: (EB+1)] = (n > EBW) ? {(EB+1){1'b0}} : tv >> n;
            wire [PW-1:0]   prod  = {{QB{1'b0}}, e[i*(EB+1) +: (EB+1)]} * {{(EB+1){1'b0}}, q} + PHALF;
            wire [PW-1:0]   pr    = prod >> (EB + G);
            assign p[i*OW +: OW] = (pr > OMAX) ? OMAX[OW-1:0] : pr[OW-1:0];
        end
    endgenerate
    assign out_data = p;

    reg [SW-1:0] bsum;
    integer m;
    always @(*) begin
        bsum = {SW{1'b0}};
        for (m = 0; m < P; m = m + 1)
            bsum = bsum + {{(SW-EB-1){1'b0}}, e[m*(EB+1) +: (EB+1)]};
    end

    wire [SW:0] rem2 = rem << 1;  // rem < sum, so the top bit never falls off
    wire        take = (rem2 >= {1'b0, sum});

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
            cnt <= {CW{1'b0}};
        end else begin
            case (ph)
                LOAD: if (in_fire) begin
                    ptr <= at_last ? {AW{1'b0}} : ptr + 1'b1;
                    if (at_last) ph <= EXP;
                end
                EXP: begin
                    sum <= (ptr == {AW{1'b0}}) ? bsum : sum + bsum;
                    ptr <= at_last ? {AW{1'b0}} : ptr + 1'b1;
                    rem <= REM0;
                    cnt <= {CW{1'b0}};
                    if (at_last) ph <= DIV;
                end
                DIV: begin
                    rem <= take ? rem2 - {1'b0, sum} : rem2;
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
