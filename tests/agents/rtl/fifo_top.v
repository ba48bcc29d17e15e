// Reference 4-deep, 8-bit ready/valid FIFO.
module fifo_top (
    input  wire clk, input wire rst_n,
    input  wire in_valid, output wire in_ready,
    input  wire [7:0] in_data,
    output wire out_valid, input wire out_ready,
    output wire [7:0] out_data
);
    reg [7:0] mem [0:3];
    reg [1:0] rd, wr;
    reg [2:0] count;
    wire push = in_valid && in_ready;
    wire pop = out_valid && out_ready;
    assign in_ready = count != 3'd4;
    assign out_valid = count != 3'd0;
    assign out_data = mem[rd];
    always @(posedge clk) begin
        if (!rst_n) begin
            rd <= 2'd0; wr <= 2'd0; count <= 3'd0;
        end else begin
            if (push) begin mem[wr] <= in_data; wr <= wr + 2'd1; end
            if (pop) rd <= rd + 2'd1;
            count <= count + {2'd0, push} - {2'd0, pop};
        end
    end
endmodule
