import xml.etree.ElementTree as ET

import pytest

from accelsmith.verification.campaigns.regress import grid_specs, regress, write_junit


def test_unknown_kind_is_a_helpful_miss():
    with pytest.raises(ValueError, match=r"^unknown template 'fft'; known: .*requant"):
        grid_specs(["fft"])


def test_every_template_has_specs():
    from accelsmith import hw_templates

    kinds = {s.kind for s in grid_specs()}
    assert kinds == set(hw_templates.known_templates())


def test_junit_lists_failures(tmp_path):
    results = [{"name": "a", "kind": "k", "sim": "icarus", "passed": False, "summary": "x", "diagnostics": [],
                "seconds": 1.0, "cases": [{"case": "c1", "passed": True}, {"case": "c2", "passed": False}]}]
    root = ET.parse(write_junit(results, tmp_path / "j.xml")).getroot()
    assert root.find("testsuite").get("failures") == "1"
    assert [tc.get("name") for tc in root.iter("testcase") if tc.find("failure") is not None] == ["c2[icarus]"]


@pytest.mark.sim
def test_regress_requant_on_icarus(tmp_path):
    report = regress(jobs=2, kinds=["requant"], sims=["icarus"], junit=tmp_path / "r.xml", workdir=tmp_path)
    assert report["failed"] == 0 and report["runs"] == 3
    assert ET.parse(tmp_path / "r.xml").getroot().tag == "testsuites"


def test_grid_sharing_keeps_the_specs_that_render_the_same_template_file():
    from accelsmith.kinds.gemm import GemmSpec
    from accelsmith.verification.campaigns.regress import grid_sharing

    ws = GemmSpec(name="my_ws", rows=2, cols=2, k=3, dataflow="weight_stationary")
    names = [s.label for s in grid_sharing(ws)]
    assert names == ["my_ws", "gemm_ws_4x3_int4_sat", "gemm_ws_3x2_uint4_sat_k2", "gemm_ws_2x4_uint8",
                     "gemm_ws_4x3_int8_m9", "gemm_ws_2x6_int4_sat_m1"]  # no OS spec
    os_names = [s.label for s in grid_sharing(GemmSpec(name="my_os", rows=2, cols=2, k=3), skip=("gemm_os_4x4_int8",))]
    assert os_names == ["my_os", "gemm_os_3x2_int4_sat", "gemm_os_2x3_int8_k1"]


def test_every_template_plan_holds_its_no_stall_cases_to_the_schedule():
    """Each grid spec's plan has a case with no bubbles or stalls whose jobs must take exactly the spec's latency
    (the regression run shows the templates meet it; test_bench_gemm shows a job one cycle early failing)."""
    from accelsmith.verification import derive

    for spec in grid_specs():
        plan = derive(spec)
        timed = [c for c in plan.cases if c.latency_cycles is not None]
        assert timed, spec.kind
        assert all(c.in_bubble_prob == 0 and c.out_stall_prob == 0 for c in timed), spec.kind
        assert all(c.latency_cycles >= (plan.ideal_job_cycles or 1) for c in timed), spec.kind


def test_scale_tier_holds_minilm_real_sizes_and_unknown_tier_is_a_helpful_miss():
    scale = {s.label: s for s in grid_specs(tier="scale")}
    assert {(s.rows, s.cols, s.k) for s in scale.values() if s.kind == "gemm"} == {(16, 16, 384), (32, 32, 384)}
    assert scale["minilm_softmax_len128"].length == 128
    assert scale["minilm_attention_d32_s128"].seq_len == 128
    fast = grid_specs()
    assert any(s.kind == "norm" and s.hidden == 384 for s in fast)  # MiniLM's LayerNorm lives in the fast grid
    assert len(grid_specs(tier="all")) == len(fast) + len(scale)
    with pytest.raises(ValueError, match=r"^unknown regression tier 'huge'; known: fast, scale, all$"):
        grid_specs(tier="huge")


def test_reduced_plan_keeps_every_corner_and_cuts_random_cases():
    from accelsmith.spec import spec_from_dict
    from accelsmith.verification import derive

    plan = derive(spec_from_dict({"kind": "gemm", "rows": 32, "cols": 32, "k": 384, "acc_bits": 28}))
    small = plan.reduced()
    corners = [c.name for c in plan.cases if "corner" in c.tags or "schedule" in c.tags]
    assert corners and all(any(r.name == n and r == c for r in small.cases) for n, c in
                           ((c.name, c) for c in plan.cases if c.name in corners))
    cut = {c.name: c for c in small.cases}
    assert "throughput" not in cut  # a throughput figure comes from the primary simulator
    assert cut["random"].jobs == 2 and len(cut["random"].inputs) == 2 * 384 and len(cut["random"].expected) == 64
    assert cut["random"].expected == plan.cases[0].expected[:64]  # the first two jobs, unchanged
    assert small.coverage["reduced_cross_check"]
    protocol = {c.name: c for c in small.cases if "protocol" in c.tags}
    assert set(protocol) == {"sink_bursts", "reset_mid_drain"}  # X on the idle bus, a reset mid-drain: 4-state
    assert all(c.jobs == 1 for c in protocol.values()) and protocol["reset_mid_drain"].pre_reset_inputs


def _designs_file(tmp_path, rtl_text: str) -> "Path":
    from pathlib import Path

    root = Path(__file__).parent.parent.parent / "examples" / "user"
    (tmp_path / "relu4.yaml").write_text((root / "relu4.yaml").read_text())
    (tmp_path / "clamp_top.v").write_text(rtl_text)
    (tmp_path / "designs.yaml").write_text("designs:\n  - {name: mine, spec: relu4.yaml, rtl: [clamp_top.v]}\n")
    return tmp_path / "designs.yaml"


def _cli(*args):
    import subprocess
    import sys
    from pathlib import Path

    return subprocess.run([sys.executable, "-m", "accelsmith.cli", *args], capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).parent.parent.parent)


@pytest.mark.sim
def test_regress_reverifies_a_users_designs_beside_the_templates(tmp_path):
    from pathlib import Path

    good = (Path(__file__).parent.parent.parent / "examples" / "user" / "clamp_top.v").read_text()
    ok = _cli("regress", "--kinds", "requant", "--sims", "icarus", "--designs", str(_designs_file(tmp_path, good)))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "PASS mine (yours) [icarus]" in ok.stdout and "PASS requant_int8_default [icarus]" in ok.stdout
    broken = good.replace("x[7] ? 8'd0 : x", "x")
    (tmp_path / "b").mkdir()
    bad = _cli("regress", "--no-templates", "--sims", "icarus", "--junit", str(tmp_path / "j.xml"),
               "--designs", str(_designs_file(tmp_path / "b", broken)))
    assert bad.returncode == 1 and "FAIL mine (yours) [icarus]" in bad.stdout, bad.stdout + bad.stderr
    assert "requant" not in bad.stdout and "1 runs, 1 failed" in bad.stdout
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert any(tc.find("failure") is not None for tc in root.iter("testcase"))


@pytest.mark.parametrize("text, message", [
    ("designs: []\n", "expected 'designs:' with a list"),
    ("designs:\n  - {spec: relu4.yaml}\n", "design 1: needs 'spec: FILE' and 'rtl: \\[FILE, \\.\\.\\.\\]'"),
    ("designs:\n  - {spec: relu4.yaml, rtl: [nope.v]}\n", "design 1: .*nope.v: RTL file not found"),
    ("designs:\n  - {spec: relu4.yaml, rtl: [clamp_top.v], colour: red}\n", "unknown key\\(s\\) colour"),
    ("designs: [\n", "not a YAML designs file"),
])
def test_a_bad_designs_file_is_one_line(tmp_path, text, message):
    import re

    path = _designs_file(tmp_path, "module clamp_top(input clk); endmodule\n")
    path.write_text(text)
    out = _cli("regress", "--no-templates", "--designs", str(path))
    assert out.returncode == 2 and re.search(message, out.stderr), out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


@pytest.mark.sim
def test_regress_formal_reports_a_handshake_proof_beside_each_simulation(tmp_path):
    from pathlib import Path

    good = (Path(__file__).parent.parent.parent / "examples" / "user" / "clamp_top.v").read_text()
    ok = _cli("regress", "--no-templates", "--sims", "icarus", "--formal", "--formal-timeout", "60",
              "--designs", str(_designs_file(tmp_path, good)))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "PASS mine (yours) [icarus]" in ok.stdout and "PASS mine (yours) [formal]" in ok.stdout
    assert "formal: 4 proved" in ok.stdout and "2 runs, 0 failed" in ok.stdout
    # in_ready tied high: the simulation's sinks stall, the offer changes under them; the proof gives the cycle
    broken = good.replace("assign in_ready  = out_ready;", "assign in_ready  = 1'b1;")
    (tmp_path / "b").mkdir()
    bad = _cli("regress", "--no-templates", "--sims", "icarus", "--formal", "--junit", str(tmp_path / "j.xml"),
               "--designs", str(_designs_file(tmp_path / "b", broken)))
    assert bad.returncode == 1 and "FAIL mine (yours) [formal]" in bad.stdout, bad.stdout + bad.stderr
    assert "2 proved, 2 failed" in bad.stdout
    failed = {tc.get("name") for tc in ET.parse(tmp_path / "j.xml").getroot().iter("testcase")
              if tc.find("failure") is not None}
    assert {"valid_held[formal]", "data_stable[formal]"} <= failed, failed
