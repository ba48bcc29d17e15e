import math

import pytest

from accelsmith.errors import ToolMissing

from accelsmith.verification.campaigns import scalesim as _scalesim
from accelsmith.verification.campaigns.scalesim import closed_form_cycles, rtl_streaming_cycles, scalesim_cycles


def test_closed_forms_count_folds_and_tiles():
    # OS: one 8x8 output tile per (M, N) tile, K + R + C - 2 cycles each; WS: one weight fold per (K, N) tile
    assert closed_form_cycles(8, 8, "output_stationary", 16, 16, 32) == 4 * (32 + 14) - 1
    assert closed_form_cycles(8, 8, "weight_stationary", 16, 16, 32) == 4 * 2 * (16 + 8 + 16 - 2) - 1
    assert closed_form_cycles(8, 8, "output_stationary", 9, 8, 1) == 2 * 15 - 1  # partial tiles count whole


def test_scalesim_matches_closed_form():
    try:
        _scalesim.scalesim_python()
    except ToolMissing as err:  # its own venv; scripts/setup.sh --test (and so CI) creates it
        pytest.skip(f"{err} (CI installs it)")
    shapes = {"a": (16, 16, 32), "b": (20, 12, 10)}
    for df in ("output_stationary", "weight_stationary"):
        got = scalesim_cycles(8, 8, df, shapes)
        assert got == {n: closed_form_cycles(8, 8, df, *s) for n, s in shapes.items()}


@pytest.mark.sim
def test_rtl_streaming_interval_of_weight_stationary_matches_its_schedule(tmp_path):
    r, c, k, m = 4, 3, 6, 7
    got = rtl_streaming_cycles(r, c, k, "weight_stationary", tmp_path, sim="icarus", m=m)
    # per job: ceil(K/R) folds of max(M, R, C - 1) beats, back to back; the last fold's last row leaves
    # R + C + 1 cycles after its beat
    folds, fold = math.ceil(k / r), max(m, r, c - 1)
    assert got["interval"] == folds * fold
    assert got["fill"] == (folds - 1) * fold + m + r + c + 1 - folds * fold


def test_rtl_jobs_stream_every_row_through_a_weight_fold():
    assert _scalesim.rtl_jobs(8, 8, "weight_stationary", 128, 384) == 48
    assert _scalesim.rtl_jobs(8, 8, "output_stationary", 128, 384) == 16 * 48


@pytest.mark.sim
@pytest.mark.parametrize("dataflow, m, n, k", [("output_stationary", 8, 6, 5), ("weight_stationary", 7, 6, 6),
                                               ("weight_stationary", 1, 6, 6)])
def test_the_searchs_stall_free_cycles_are_the_rtls_steady_state(tmp_path, dataflow, m, n, k):
    """The dataflow search's compute model counts what the simulated array takes per job, back to back."""
    from accelsmith.model_opt._dataflow import stall_free_cycles

    r, c = 4, 3
    got = rtl_streaming_cycles(r, c, k, dataflow, tmp_path, sim="icarus",
                               m=m if dataflow == "weight_stationary" else None)
    jobs = _scalesim.rtl_jobs(r, c, dataflow, m, n)
    assert stall_free_cycles(m, n, k, r, c, dataflow) == got["fill"] + jobs * got["interval"]
