module requant_top_lane (
    input  logic signed [31:0] in_data,
    output logic signed [7:0]  out_data
);

// Constants for the parameters
localparam LANES = 2;
localparam IN_BITS = 32;
localparam OUT_BITS = 8;
localparam MULTIPLIERS = [1518500250];
localparam SHIFTS = [38];
localparam ZERO_POINT = 0;
localparam ROUNDING = "half_even";
localparam SATURATION = 1;

// Constants for the shift
localparam HALF_SHIFT = 37;

// Combinational logic to compute one lane
always @(posedge clk) begin
    // Step 1: p = in_data * 1518500250
    logic signed [64:0] p;
    p = in_data * MULTIPLIERS[0];

    // Step 2: f = p >>> 38 (arithmetic shift), r = p[37:0] (the 38 bits shifted out)
    logic signed [37:0] r;
    r = p >> SHIFTS[0];

    // Step 3: half = 2**37
    logic signed [37:0] half;
    half = 1 << HALF_SHIFT;

    // Step 4: q = f + 1 when r > half, or when r == half and f is odd; else q = f
    logic signed [64:0] q;
    if (r > half) begin
        q = p + 1;
    end else if (r == half && p[37:0] % 2 != 0) begin
        q = p + 1;
    end else begin
        q = p;
    end

    // Step 5: z = q + (0)
    logic signed [64:0] z;
    z = q;

    // Step 6: out_data = -128 when z < -128, 127 when z > 127, else the low 8 bits of z
    if (z < -128) begin
        out_data = -128;
    end else if (z > 127) begin
        out_data = 127;
    end else begin
        out_data = z[7:0];
    end
end

endmodule
