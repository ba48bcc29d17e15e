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
def test_ws_job_cycles_match_the_fold_model(run_spec):
    spec = GemmSpec(**WS_INT4_SAT)
    perf = next(c for c in run_spec(spec, cases=["throughput"]).cases)
    folds = -(-spec.k // spec.rows)
    # per fold: its load beats, then 2R+C-1 stream cycles; then R output beats; +1 for the first-beat cycle
    expect = spec.k + folds * (2 * spec.rows + spec.cols - 1) + spec.rows
    assert perf["job_latency_cycles"] == [expect] * perf["jobs"]  # exact: no back-pressure in this case


@pytest.mark.sim
def test_bench_catches_missing_fold_accumulation(run_spec):
    drop = lambda f: {k: v.replace("streaming && !first_fold &&", "1'b0 &&") for k, v in f.items()}  # noqa: E731
    res = run_spec(GemmSpec(**WS_INT4_SAT), edit=drop, cases=["random"])
    assert not res.passed and res.cases[0]["mismatches"]
