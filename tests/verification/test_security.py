import pytest

from accelsmith.errors import UnsafeRTL
from accelsmith.verification import check_rtl, scan_rtl

CLEAN = "module m(input wire a, output wire y);\n  assign y = a;\nendmodule\n"


@pytest.mark.parametrize("snippet, code", [
    ('initial $system("rm -rf ~");', "SYSTEM_TASK"),
    ('integer f; initial f = $fopen("/etc/passwd", "r");', "FILE_IO"),
    ('initial $fwrite(32\'h8000_0002, "x");', "FILE_IO"),
    ('initial $readmemh("../../secret.hex", mem);', "FILE_IO"),
    ('import "DPI-C" function int getpid();', "DPI"),
    ('export "DPI-C" function f;', "DPI"),
    ('initial $c("system(\\"id\\");");', "VERILATOR_C"),
    ("`systemc_header\n#include <cstdlib>\n`verilog", "VERILATOR_C"),
    ('`include "/etc/passwd"', "INCLUDE_OUTSIDE"),
    ('`include "../other/defs.vh"', "INCLUDE_OUTSIDE"),
    ('initial if ($test$plusargs("x")) y = 1;', "HOST_QUERY"),
])
def test_hostile_rtl_is_rejected(snippet, code):
    text = CLEAN.replace("endmodule", snippet + "\nendmodule")
    findings = scan_rtl({"m.v": text})
    assert code in {f.code for f in findings}
    assert all(f.severity == "error" and f.file == "m.v" for f in findings)
    with pytest.raises(UnsafeRTL, match=r"^RTL rejected by security scan: security error: m\.v:\d+: "):
        check_rtl({"m.v": text})


def test_finding_reports_the_line():
    text = "module m;\n\n  initial $system(\"x\");\nendmodule\n"
    (f,) = scan_rtl({"m.v": text})
    assert f.line == 3 and f.code == "SYSTEM_TASK"


def test_comments_and_bundle_includes_are_allowed():
    text = ('// $system("ls") is forbidden\n/* import "DPI-C" */\n`include "defs.vh"\n' + CLEAN)
    assert scan_rtl({"m.v": text, "defs.vh": "`define W 8\n"}) == []
    check_rtl({"m.v": CLEAN})  # no exception


def test_file_names_must_stay_inside_the_run_folder():
    findings = scan_rtl({"../escape.v": CLEAN})
    assert [f.code for f in findings] == ["BAD_FILENAME"]


@pytest.mark.parametrize("name", ["$OPENAI_API_KEY.v", "-Wno-fatal.v", ".hidden.v", "a b.v", "m.c", "x/../m.v"])
def test_only_plain_verilog_file_names(name):
    assert [f.code for f in scan_rtl({name: CLEAN})] == ["BAD_FILENAME"]


def test_strings_never_hide_code_from_the_scan():
    text = CLEAN.replace("endmodule", 'initial begin $display("// /*"); $system("x"); $display("*/"); end\nendmodule')
    assert "SYSTEM_TASK" in {f.code for f in scan_rtl({"m.v": text})}


def test_unknown_system_tasks_are_refused_by_name():
    text = CLEAN.replace("endmodule", "initial $ivl_made_up(1);\ninitial $display($clog2(8));\nendmodule")
    (f,) = scan_rtl({"m.v": text})
    assert f.code == "SYSTEM_TASK" and "'$ivl_made_up': not a system task a design may call" in f.message


def test_unterminated_comments_and_size_caps():
    # an unterminated /* hides the rest of the file from the tools, and from the scan: nothing to find
    assert scan_rtl({"m.v": CLEAN + "/* " * 40000}) == []
    (f,) = scan_rtl({"m.v": CLEAN + " " * (1 << 20)})
    assert f.code == "TOO_LARGE" and "over the per-file limit of 1,048,576" in f.message
    (f,) = scan_rtl({f"m{i}.v": CLEAN + " " * 900_000 for i in range(5)})
    assert f.code == "TOO_LARGE" and "over the limit of 4,194,304" in f.message
