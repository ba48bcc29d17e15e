"""Writes tests/data/hostile/*.v: a ReLU clamp_top (the relu4 spec's ports) with one hostile payload each."""
from pathlib import Path

OUT = Path(__file__).parent
BASE = """module clamp_top (
    input  wire clk,
    input  wire rst_n,
    input  wire in_valid,
    output wire in_ready,
    input  wire [31:0] in_x,
    output wire out_valid,
    input  wire out_ready,
    output wire [31:0] out_y
);
    assign in_ready = out_ready;
    assign out_valid = in_valid;
    genvar i;
    generate
        for (i = 0; i < 4; i = i + 1) begin : g_lane
            wire [7:0] x = in_x[i*8 +: 8];
            assign out_y[i*8 +: 8] = x[7] ? 8'd0 : x;
        end
    endgenerate
{BODY}endmodule
"""
W = "ESCAPED"  # every file a payload tries to write carries this in its name
S = "/tmp/accelsmith_canary/secret.txt"  # planted by the test on the host; invisible in the sandbox
P = []  # (name, expect, family, head, body)


def add(name, family, body="", head="", expect="scan"):
    P.append((name, expect, family, head, body))


# -- system tasks written out, and assembled by the preprocessor
add("system_plain", "system task", body=f'    initial $system("cat {S} > /tmp/{W}_system");\n')
add("system_token_paste", "preprocessor assembly", head="`define SYS $sys``tem\n",
    body=f'    initial `SYS("touch /tmp/{W}_paste");\n')
add("system_macro_body", "preprocessor assembly", head="`define RUN $system\n",
    body=f'    initial `RUN("touch /tmp/{W}_macro");\n')
add("system_macro_args_paste", "preprocessor assembly", head="`define T(a, b) $``a``b\n",
    body=f'    initial `T(sys, tem)("touch /tmp/{W}_args");\n')
add("system_nested_macros", "preprocessor assembly", head="`define A sys\n`define B tem\n`define C(x, y) $``x``y\n",
    body=f'    initial `C(`A, `B)("touch /tmp/{W}_nested");\n')
add("system_line_continuation", "preprocessor assembly", head="`define RUN \\\n  $system\n",
    body=f'    initial `RUN("touch /tmp/{W}_cont");\n')
add("system_escaped_ident_paste", "preprocessor assembly", head="`define D $\n",
    body=f'    initial `D``system("touch /tmp/{W}_dollar");\n')
add("system_in_string_comment", "comment/string confusion",
    body=f'    initial begin $display("//"); $system("touch /tmp/{W}_str"); $display("//"); end\n')
add("system_in_string_block", "comment/string confusion",
    body=f'    initial begin $display("/*"); $system("touch /tmp/{W}_blk"); $display("*/"); end\n')
add("system_escaped_quote", "comment/string confusion",
    body=f'    initial begin $display("\\" //"); $system("touch /tmp/{W}_esc"); end\n')
add("system_after_unterminated_comment", "comment/string confusion",
    body=f'    /* unterminated comment */ initial $system("touch /tmp/{W}_cmt"); /*\n*/\n')
add("system_in_function", "system task",
    body=f'    function integer f(input integer a); begin f = $system("touch /tmp/{W}_fn"); end endfunction\n'
         '    localparam integer Z = f(1);\n')
add("system_in_always", "system task", body=f'    always @(posedge clk) if (in_valid) $system("touch /tmp/{W}_always");\n')
# -- file I/O and host queries
add("fopen_read_secret", "file I/O", body=f'    integer fd; initial begin fd = $fopen("{S}", "r"); end\n')
add("fopen_write_outside", "file I/O",
    body=f'    integer fd; initial begin fd = $fopen("/tmp/{W}_fopen", "w"); $fwrite(fd, "x"); end\n')
add("fopen_icarus_mode", "file I/O", body=f'    integer fd; initial fd = $fopen("/tmp/{W}_ivl", "a+");\n')
add("fopen_macro", "preprocessor assembly", head="`define OPEN $f``open\n",
    body=f'    integer fd; initial fd = `OPEN("/tmp/{W}_fopenm", "w");\n')
add("fdisplay_stdout_fd", "file I/O", body='    initial $fdisplay(32\'h8000_0001, "x");\n')
add("fwrite_relative", "file I/O",
    body=f'    integer fd; initial begin fd = $fopen("../../{W}_rel", "w"); $fwrite(fd, "x"); end\n')
add("readmemh_secret", "file I/O", body=f'    reg [7:0] m [0:15]; initial $readmemh("{S}", m);\n')
add("readmemh_passwd", "file I/O", body='    reg [7:0] m [0:15]; initial $readmemb("/etc/passwd", m);\n')
add("readmemh_dev_zero", "device files", body='    reg [7:0] m [0:15]; initial $readmemh("/dev/zero", m);\n')
add("writememh_outside", "file I/O", body=f'    reg [7:0] m [0:15]; initial $writememh("/tmp/{W}_mem", m);\n')
add("writememb_macro_path", "preprocessor assembly", head=f'`define P "/tmp/{W}_memb"\n',
    body='    reg [7:0] m [0:15]; initial $writememb(`P, m);\n')
add("dumpfile_outside", "file I/O", body=f'    initial begin $dumpfile("/tmp/{W}.vcd"); $dumpvars; end\n')
add("fscanf_stdin", "file I/O", body='    integer r, v; initial r = $fscanf(32\'h8000_0000, "%d", v);\n')
add("getenv_key", "host query", body='    initial $display("%s", $getenv("OPENAI_API_KEY"));\n')
add("value_plusargs", "host query", body='    integer v; initial if ($value$plusargs("k=%d", v)) $display(v);\n')
add("test_plusargs", "host query", body='    initial if ($test$plusargs("x")) $display("x");\n')
add("icarus_ivl_task", "system task", body='    initial $ivlh_file_open("x");\n')
add("sformat_is_allowed_but_fopen_not", "file I/O",
    body=f'    reg [8*64-1:0] s; integer fd; initial begin $sformat(s, "/tmp/{W}_%0d", 1); fd = $fopen(s, "w"); end\n')
# -- DPI
add("dpi_import", "DPI", body='    import "DPI-C" function int system(input string cmd);\n'
                              f'    initial begin void\'(system("touch /tmp/{W}_dpi")); end\n')
add("dpi_import_newline", "DPI", body='    import\n      "DPI-C"\n      function int getpid();\n')
add("dpi_export", "DPI", body='    export "DPI-C" function f;\n    function int f(); return 1; endfunction\n')
add("dpi_macro_keyword", "preprocessor assembly", head="`define IMP import\n",
    body='    `IMP "DPI-C" function int getpid();\n')
add("dpi_macro_string", "preprocessor assembly", head='`define LANG "DPI-C"\n',
    body='    import `LANG function int getpid();\n')
add("dpi_sc", "DPI", body='    import "DPI-SC" function int getpid();\n')
add("dpi_lowercase", "DPI", body='    import "dpi-c" function int getpid();\n')
# -- Verilator inline C++ and configuration
add("c_inline", "verilator $c", body=f'    initial $c("system(\\"touch /tmp/{W}_c\\");");\n')
add("c_newline", "verilator $c", body=f'    initial $c\n      ("system(\\"touch /tmp/{W}_cnl\\");");\n')
add("c_width", "verilator $c", body='    wire [31:0] pid = $c32("getpid()");\n')
add("c_macro", "preprocessor assembly", head="`define CC $``c\n", body='    initial `CC("abort();");\n')
add("cpure", "verilator $c", body='    wire [31:0] p = $cpure("1");\n')
add("systemc_header", "systemc", head="`systemc_header\n#include <cstdlib>\nstatic int x = system(\"touch /tmp/ESCAPED_sc\");\n`verilog\n")
add("systemc_imp_header", "systemc", body="`systemc_imp_header\n#include <unistd.h>\n`verilog\n")
add("systemc_ctor", "systemc", body='`systemc_ctor\n  system("id");\n`verilog\n')
add("systemc_macro", "preprocessor assembly", head="`define SC `systemc_header\n", body="`SC\n#include <cstdlib>\n`verilog\n")
add("verilator_config", "verilator config", head='`verilator_config\nlint_off -rule WIDTH\n`verilog\n')
add("pragma_protect", "verilator config", head='`pragma protect begin\n`pragma protect end\n')
# -- includes
add("include_absolute", "include", head='`include "/etc/passwd"\n')
add("include_parent", "include", head='`include "../../../outside/secret.vh"\n')
add("include_secret", "include", head=f'`include "{S}"\n')
add("include_macro_path", "include", head='`define F "/etc/passwd"\n`include `F\n')
add("include_split_lines", "include", head='`include\n  "/etc/passwd"\n')
add("include_angle", "include", head="`include <passwd>\n")
add("include_dev_zero", "device files", head='`include "/dev/zero"\n')
add("include_proc_environ", "device files", head='`include "/proc/self/environ"\n')
add("include_dev_urandom", "device files", head='`include "/dev/urandom"\n')
add("include_self_loop", "include", head='`include "include_self_loop.v"\n', expect="contained")
# -- names only a preprocessor puts together (no token pasting): caught in each tool's preprocessed text
ID = "`define S(a) a\n"
add("pp_dollar_system", "preprocessor assembly", head=ID, body=f'    initial `S($)system("touch /tmp/{W}_pp");\n')
add("pp_dollar_fopen", "preprocessor assembly", head=ID,
    body=f'    integer fd; initial fd = `S($)fopen("/tmp/{W}_ppf", "w");\n')
add("pp_dollar_readmemh", "preprocessor assembly", head=ID, body=f'    reg [7:0] m [0:3]; initial `S($)readmemh("{S}", m);\n')
add("pp_dollar_c", "preprocessor assembly", head=ID, body='    initial `S($)c("abort();");\n')
add("pp_backtick_systemc", "preprocessor assembly", head=ID, body="`S(`)systemc_header\n#include <cstdlib>\n`verilog\n")
add("pp_icarus_branch", "tool-specific branch", head="`ifdef __ICARUS__\n`define S(a) a\n`else\n`define S(a)\n`endif\n",
    body=f'    initial `S($)system("touch /tmp/{W}_ppi");\n')
add("pp_verilator_branch", "tool-specific branch", head="`ifdef VERILATOR\n`define S(a) a\n`else\n`define S(a)\n`endif\n",
    body=f'    initial `S($)writememh("/tmp/{W}_ppv", out_y);\n')
# -- names the tools expand (a file whose name is an environment variable)
# (the test writes this body under the name "$OPENAI_API_KEY.v")
add("filename_env_var", "file names", body="")
# -- tool-specific branches that one linter never sees
add("icarus_only_branch", "tool-specific branch", head="`ifdef __ICARUS__\n`define X $sys``tem\n`else\n`define X $display\n`endif\n",
    body=f'    initial `X("touch /tmp/{W}_ivl_branch");\n')
add("verilator_only_branch", "tool-specific branch", head="`ifdef VERILATOR\n`define Y $c\n`else\n`define Y $display\n`endif\n",
    body='    initial `Y("abort();");\n')
add("yosys_only_branch", "tool-specific branch", head="`ifdef YOSYS\n`define Z $sys``tem\n`else\n`define Z $display\n`endif\n",
    body='    initial `Z("x");\n')
# -- resource exhaustion: contained by the sandbox's limits (nothing here reaches the host)
add("macro_blowup", "huge expansion", expect="scan",
    head="".join(["`define A0 wire w0;\n"] + [f"`define A{k} `A{k-1} `A{k-1}\n" for k in range(1, 31)]),
    body="    `A30\n")
add("huge_memory", "huge memories", expect="contained", body="    reg [63:0] big [0:(1<<28)-1];\n"
    "    always @(posedge clk) big[in_x[27:0]] <= {2{in_x}};\n")
add("huge_width", "huge widths", expect="contained", body="    wire [(1<<26)-1:0] wide = {(1<<21){in_x}};\n")
add("huge_generate", "huge memories", expect="contained",
    body="    genvar g;\n    generate for (g = 0; g < (1<<24); g = g + 1) begin : g_many\n"
         "        reg r; always @(posedge clk) r <= in_x[g % 32];\n    end endgenerate\n")
add("infinite_loop_initial", "infinite loops", expect="contained",
    body="    integer n; initial begin n = 0; while (1) n = n + 1; end\n")
add("infinite_loop_always", "infinite loops", expect="contained",
    body="    reg t; always @(posedge clk) begin : spin forever t = ~t; end\n")
add("combinational_loop", "infinite loops", expect="contained", body="    wire osc; assign #0 osc = ~osc;\n")
add("display_flood", "output floods", expect="contained",
    body='    integer n; initial for (n = 0; n < 2000000000; n = n + 1) $display("%0d flood flood flood flood flood flood flood flood", n);\n')
add("display_flood_clocked", "output floods", expect="contained",
    body='    always @(posedge clk) begin : f integer n; for (n = 0; n < 100000; n = n + 1) $display("%0d flood flood flood flood flood flood", n); end\n')
add("monitor_flood", "output floods", expect="contained",
    body='    reg [31:0] c = 0; always #1 c = c + 1; initial $monitor("%0d flood flood flood flood", c);\n')
add("finish_early", "control", expect="contained", body="    initial #5 $finish;\n")

for name, expect, family, head, body in P:
    text = f"// hostile corpus: {family}; expect: {expect}\n" + head + BASE.replace("{BODY}", body)
    (OUT / f"{name}.v").write_text(text)
print(len(P), "files")
