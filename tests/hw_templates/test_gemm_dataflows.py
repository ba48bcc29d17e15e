import pytest

from accelsmith import hw_templates
from accelsmith.kinds.gemm import GemmSpec

WS_INT4_SAT = dict(dataflow="weight_stationary", rows=3, cols=4, k=7, in_bits=4, acc_bits=8, overflow="saturate")


@pytest.mark.parametrize("dataflow, module", [("output_stationary", "gemm_os"), ("weight_stationary", "gemm_ws")])
def test_dataflow_picks_its_array(dataflow, module):
    bundle = hw_templates.get("gemm").render(GemmSpec(rows=4, cols=4, k=8, dataflow=dataflow))
    assert f"{module}.v" in bundle.files and f"{module} #(" in bundle.files[f"{bundle.top}.v"]


@pytest.mark.parametrize("fields", [WS_INT4_SAT, dict(dataflow="weight_stationary", rows=1, cols=1, k=1)])
def test_ws_lint_clean(lint_spec, fields):
    assert lint_spec(GemmSpec(**fields)) == []


@pytest.mark.sim
@pytest.mark.parametrize("fields, sim", [
    (WS_INT4_SAT, "icarus"),                                               # K=7 over folds of 3: a partial fold
    (dict(rows=3, cols=2, k=5, in_bits=4, acc_bits=8, overflow="saturate"), "icarus"),   # int4 on the OS array
    (dict(dataflow="weight_stationary", rows=4, cols=4, k=8, in_bits=4, signed=False, acc_bits=16), "verilator"),
])
def test_bench_passes(run_spec, fields, sim):
    res = run_spec(GemmSpec(**fields), sim)
    assert res.passed, [c for c in res.cases if not c["passed"]][:1] or res.diagnostics
    assert any(c["case"] == "accumulator_overflow" for c in res.cases) or not fields.get("overflow")


@pytest.mark.sim
@pytest.mark.parametrize("fields", [WS_INT4_SAT, dict(WS_INT4_SAT, m=10), dict(WS_INT4_SAT, cols=6, m=2)])
def test_ws_streams_folds_and_jobs_back_to_back(run_spec, fields):
    """Fold length max(M, R, C - 1), no gap between folds or jobs; the last fold's row M - 1 leaves R + C + 1
    cycles after its beat. Written out here, not taken from the spec's own formula."""
    spec = GemmSpec(**fields)
    R, C, K, M = spec.rows, spec.cols, spec.k, fields.get("m", spec.rows)
    folds, fold = -(-K // R), max(M, R, C - 1)
    perf = next(c for c in run_spec(spec, cases=["throughput"]).cases)
    assert perf["passed"]
    assert perf["job_latency_cycles"] == [(folds - 1) * fold + M + R + C + 1] * perf["jobs"]  # no back-pressure here
    ends = perf["job_end_cycles"]
    assert [b - a for a, b in zip(ends, ends[1:])] == [folds * fold] * (perf["jobs"] - 1)


@pytest.mark.sim
def test_bench_catches_missing_fold_accumulation(run_spec):
    drop = lambda f: {k: v.replace("assign p_above = first ? {AW{1'b0}} : top[c];",  # noqa: E731
                                   "assign p_above = {AW{1'b0}};") for k, v in f.items()}
    res = run_spec(GemmSpec(**WS_INT4_SAT), edit=drop, cases=["random"])
    assert not res.passed and res.cases[0]["mismatches"]


@pytest.mark.sim
def test_bench_catches_a_design_that_reads_the_ignored_lanes(run_spec):
    """K = 7 over folds of 3: the last fold uses one weight row; the bench fills the other two with random values."""
    keep = lambda f: {k: v.replace("assign used = !fold_last;", "assign used = 1'b1;") for k, v in f.items()}  # noqa: E731
    res = run_spec(GemmSpec(**WS_INT4_SAT), edit=keep, cases=["random"])
    assert not res.passed and res.cases[0]["mismatches"]


@pytest.mark.sim
def test_output_stationary_jobs_follow_every_k_cycles_when_k_is_short(run_spec):
    """K = 16 < 2R + C - 1 = 23 on 8x8: three accumulator banks, so back-to-back jobs are K cycles apart."""
    spec = GemmSpec(rows=8, cols=8, k=16)
    assert spec.acc_banks == 3
    perf = next(c for c in run_spec(spec, "verilator", cases=["throughput"]).cases)
    ends = perf["job_end_cycles"]
    assert perf["passed"] and [b - a for a, b in zip(ends, ends[1:])] == [16] * (perf["jobs"] - 1)
    assert perf["job_latency_cycles"] == [16 + 8 + 8 - 2 + 8] * perf["jobs"]
