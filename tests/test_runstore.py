import pytest

from accelsmith.kinds.gemm import GemmSpec
from accelsmith.runstore import RunStore


def test_create_update_list_filter(tmp_path):
    store = RunStore(tmp_path / "runs")
    a = store.create(GemmSpec(rows=2, cols=2, k=2), "expert")
    b = store.create(GemmSpec(rows=4, cols=4, k=4), "openai")
    assert (store.folder(a) / "spec.json").is_file()
    store.update(a, status="verified", stop_reason="verified", iterations=1, seconds=1.5)
    store.update(b, status="failed", stop_reason="budget", iterations=3, tokens_in=100, tokens_out=50)
    assert {r.run_id for r in store.list()} == {a, b}
    assert [r.run_id for r in store.list(status="failed")] == [b]
    rec = store.get(b)
    assert (rec.status, rec.stop_reason, rec.iterations, rec.tokens_in, rec.backend) == ("failed", "budget", 3, 100, "openai")
    assert store.get("missing") is None


def test_unknown_field_is_rejected(tmp_path):
    store = RunStore(tmp_path)
    rid = store.create(GemmSpec(), "expert")
    with pytest.raises(ValueError, match=r"^unknown run fields \['colour'\]; known: status, "):
        store.update(rid, colour="red")
