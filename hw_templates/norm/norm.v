// LayerNorm / RMSNorm over one vector of NB beats x P lanes per job, on one vector buffer:
// LOAD (II=1; S1 = sum x, S2 = sum x^2), VAR (V = H*S2 - LN*S1^2 + E), NRM (V = m*4^k, seed),
// NEWTON (NS steps of y = y*(3 - m*y^2)/2), OUT (II=1; y = round(N*y*gamma / 2^sh) + beta, clamped).
module norm #(
    parameter integer P = 4,      // lanes per beat
    parameter integer NB = 4,     // beats per vector
    parameter integer H = 16,     // NB * P
    parameter integer IW = 8,     // signed input bits
    parameter integer OW = 8,     // signed output bits
    parameter integer GW = 8,     // signed gamma bits
    parameter integer SHB = 6,    // R + gamma_frac - out_frac, >= 1
    parameter integer LN = 1,     // 1: subtract the mean (layernorm), 0: rmsnorm
    parameter integer VW = 32,    // width of V (unsigned)
    parameter [VW-1:0] E = 1,     // eps * 4^in_frac * H^2
    parameter integer NS = 2,     // Newton steps
    parameter [NB*P*GW-1:0] GAMMA = 0,
    parameter [NB*P*OW-1:0] BETA = 0
) (
    input  wire            clk,
    input  wire            rst_n,
    input  wire            in_valid,
    output wire            in_ready,
    input  wire [P*IW-1:0] in_data,
    output wire            out_valid,
    input  wire            out_ready,
    output wire [P*OW-1:0] out_data
);
    localparam integer R = 16;                       // rsqrt and m fraction bits
    localparam integer AW = (NB > 1) ? $clog2(NB) : 1;
    localparam integer HB = $clog2(H + 1);
    localparam integer S1W = IW + HB + 1;            // signed sum
    localparam integer XW = VW + 2;                  // signed working width of V
    localparam integer NW = IW + HB + 2;             // signed H*x - S1
    localparam integer KW = $clog2(VW + 1);
    localparam integer PW = NW + R + 2 + GW + 1;     // signed product
    localparam integer LAST_I = NB - 1;
    localparam integer NSL_I = NS - 1;
    localparam [AW-1:0] LAST = LAST_I[AW-1:0];
    localparam [2:0] LOAD = 3'd0, VAR = 3'd1, NRM = 3'd2, NEWT = 3'd3, OUT = 3'd4;
    localparam [1:0] NSL = NSL_I[1:0];
    localparam [31:0] H32 = H;
    localparam signed [XW-1:0] HX = $signed({{(XW-32){1'b0}}, H32});
    localparam signed [NW-1:0] HN = $signed(H32[NW-1:0]);
    localparam signed [PW-1:0] PONE = 1;
    localparam signed [PW-1:0] OMAX = (PONE <<< (OW - 1)) - PONE;
    localparam signed [PW-1:0] OMIN = -(PONE <<< (OW - 1));
    localparam [KW:0] SHBW = SHB[KW:0];

    reg  [2:0]           ph;
    reg  [AW-1:0]        ptr;
    reg  [1:0]           cnt;
    reg  [P*IW-1:0]      vbuf [0:NB-1];
    reg  signed [S1W-1:0] s1;
    reg  [XW-1:0]        s2;
    reg  [VW-1:0]        v;
    reg  [R+1:0]         m;     // V / 4^k at R fraction bits, in [2^R, 2^(R+2))
    reg  [KW-1:0]        k;
    reg  [R+1:0]         y;     // rsqrt(m) at R fraction bits

    assign in_ready  = (ph == LOAD);
    assign out_valid = (ph == OUT);
    wire in_fire  = in_valid && in_ready;
    wire out_fire = out_valid && out_ready;
    wire at_last  = (ptr == LAST);
    wire first    = (ptr == {AW{1'b0}});

    // beat sums of x and x^2
    reg signed [S1W-1:0] b1;
    reg [XW-1:0]         b2;
    reg signed [2*IW-1:0] xi;
    integer i;
    always @(*) begin
        b1 = {S1W{1'b0}};
        b2 = {XW{1'b0}};
        for (i = 0; i < P; i = i + 1) begin
            xi = $signed({{IW{in_data[i*IW+IW-1]}}, in_data[i*IW +: IW]});
            b1 = b1 + $signed({{(S1W-IW){in_data[i*IW+IW-1]}}, in_data[i*IW +: IW]});  // S1W > 2*IW from H >= 128
            b2 = b2 + {{(XW-2*IW){1'b0}}, xi * xi};  // x^2 < 2^(2*IW-1): never negative
        end
    end

    // V = H*S2 - S1^2 + E (S1 term only for layernorm); V >= E > 0 by Cauchy-Schwarz
    wire signed [XW-1:0] s1x  = $signed({{(XW-S1W){s1[S1W-1]}}, s1});
    wire signed [XW-1:0] sq   = (LN != 0) ? s1x * s1x : $signed({XW{1'b0}});
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [XW-1:0] vx   = HX * $signed(s2) - sq + $signed({2'b00, E});  // 0 < V < 2^VW: top bits unused
    /* verilator lint_on UNUSEDSIGNAL */

    // normalise: e2 = even floor of log2 V, m = V * 2^R / 2^e2
    reg [KW-1:0] e2;
    integer b;
    always @(*) begin
        e2 = {KW{1'b0}};
        for (b = 0; b < VW; b = b + 1)
            if (v[b]) e2 = b[KW-1:0] & ~{{(KW-1){1'b0}}, 1'b1};
    end
    /* verilator lint_off UNUSEDSIGNAL */
    wire [VW+R-1:0] vs = {v, {R{1'b0}}} >> e2;  // only the low R+2 bits are nonzero
    /* verilator lint_on UNUSEDSIGNAL */
    wire [R+1:0]    mn = vs[R+1:0];

    function [R+1:0] seed;  // 2^16 / sqrt(1.25 + j/2)
        input [2:0] j;
        begin
            case (j)
                3'd0: seed = 18'd58617;
                3'd1: seed = 18'd49541;
                3'd2: seed = 18'd43691;
                3'd3: seed = 18'd39520;
                3'd4: seed = 18'd36353;
                default: seed = 18'd33843;
            endcase
        end
    endfunction
    wire [2:0] sj = mn[R+1:R-1] - 3'd2;

    // one Newton step: h = m*y^2 / 2^2R, y' = y*(3*2^R - h) / 2^(R+1)
    wire [3*R+5:0] my2 = {{(2*R+4){1'b0}}, m} * {{(2*R+4){1'b0}}, y} * {{(2*R+4){1'b0}}, y};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [3*R+5:0] hh  = my2 >> (2 * R);
    wire [2*R+3:0] yn  = {{(R+2){1'b0}}, y} * ({{(R+2){1'b0}}, 2'd3, {R{1'b0}}} - hh[2*R+3:0]);
    /* verilator lint_on UNUSEDSIGNAL */
    wire [R+1:0]   ynext = yn[2*R+2:R+1];

    // output lanes
    wire [P*IW-1:0] row = vbuf[ptr];
    genvar g, t;
    generate
        for (g = 0; g < P; g = g + 1) begin : g_lane
            wire [GW-1:0] gtab [0:NB-1];
            wire [OW-1:0] btab [0:NB-1];
            for (t = 0; t < NB; t = t + 1) begin : g_tab
                assign gtab[t] = GAMMA[(t*P+g)*GW +: GW];
                assign btab[t] = BETA[(t*P+g)*OW +: OW];
            end
            wire signed [NW-1:0] xe  = $signed({{(NW-IW){row[g*IW+IW-1]}}, row[g*IW +: IW]});
            wire signed [NW-1:0] s1n = $signed({{(NW-S1W){s1[S1W-1]}}, s1});
            wire signed [NW-1:0] sub = (LN != 0) ? s1n : $signed({NW{1'b0}});
            wire signed [NW-1:0] num = HN * xe - sub;
            wire [GW-1:0]        gm  = gtab[ptr];
            wire [OW-1:0]        bt  = btab[ptr];
            wire signed [PW-1:0] nump = $signed({{(PW-NW){num[NW-1]}}, num});
            wire signed [PW-1:0] yp   = $signed({{(PW-R-2){1'b0}}, y});
            wire signed [PW-1:0] gp   = $signed({{(PW-GW){gm[GW-1]}}, gm});
            wire signed [PW-1:0] bp   = $signed({{(PW-OW){bt[OW-1]}}, bt});
            wire signed [PW-1:0] prod = nump * yp * gp;
            wire [KW:0]          sh   = SHBW + {1'b0, k};
            wire signed [PW-1:0] half = $signed({{(PW-1){1'b0}}, 1'b1}) <<< (sh - 1'b1);
            wire signed [PW-1:0] q    = ((prod + half) >>> sh) + bp;
            assign out_data[g*OW +: OW] = (q > OMAX) ? OMAX[OW-1:0] : (q < OMIN) ? OMIN[OW-1:0] : q[OW-1:0];
        end
    endgenerate

    always @(posedge clk) begin
        if (in_fire) vbuf[ptr] <= in_data;
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            ph  <= LOAD;
            ptr <= {AW{1'b0}};
            cnt <= 2'd0;
        end else begin
            case (ph)
                LOAD: if (in_fire) begin
                    s1  <= first ? b1 : s1 + b1;
                    s2  <= first ? b2 : s2 + b2;
                    ptr <= at_last ? {AW{1'b0}} : ptr + 1'b1;
                    if (at_last) ph <= VAR;
                end
                VAR: begin
                    v  <= vx[VW-1:0];
                    ph <= NRM;
                end
                NRM: begin
                    m   <= mn;
                    k   <= e2 >> 1;
                    y   <= seed(sj);
                    cnt <= 2'd0;
                    ph  <= NEWT;
                end
                NEWT: begin
                    y   <= ynext;
                    cnt <= cnt + 1'b1;
                    if (cnt == NSL) ph <= OUT;
                end
                default: if (out_fire) begin
                    ptr <= at_last ? {AW{1'b0}} : ptr + 1'b1;
                    if (at_last) ph <= LOAD;
                end
            endcase
        end
    end
endmodule
