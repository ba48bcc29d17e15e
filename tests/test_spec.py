import pytest

from accelsmith.errors import SpecError
from accelsmith.kinds.gemm import GemmSpec
from accelsmith.spec import load_spec, spec_from_dict


def _write(tmp_path, text):
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


def test_example_spec_loads():
    spec = load_spec("examples/gemm_8x8_int8.yaml")
    assert isinstance(spec, GemmSpec)
    assert (spec.rows, spec.cols, spec.k, spec.in_bits, spec.acc_bits) == (8, 8, 16, 8, 32)


def test_hash_is_stable_and_ignores_name():
    a = GemmSpec(rows=4, cols=4, k=8, name="x")
    b = GemmSpec(rows=4, cols=4, k=8, name="y")
    c = GemmSpec(rows=4, cols=4, k=9)
    assert a.spec_hash == b.spec_hash and a.seed == b.seed
    assert a.spec_hash != c.spec_hash
    assert spec_from_dict(a.to_json()).spec_hash == a.spec_hash


@pytest.mark.parametrize("body, pattern", [
    ("kind: gemm\nin_bits: 6\n", r"^.*s\.yaml: field 'in_bits': Input should be 4 or 8 \(got 6\)$"),
    ("kind: gemm\nrows: 0\n", r"^.*s\.yaml: field 'rows': Input should be greater than or equal to 1 \(got 0\)$"),
    ("kind: gemm\ncolumns: 4\n", r"^.*s\.yaml: field 'columns': unknown field \(got 4\)$"),
    ("kind: gemm\nacc_bits: 12\n", r"^.*s\.yaml: field '<spec>': Value error, acc_bits=12 cannot hold one 8-bit product; allowed: acc_bits >= 16"),
    ("kind: gemm\noverflow: clamp\n", r"^.*s\.yaml: field 'overflow': Input should be 'wrap' or 'saturate' \(got 'clamp'\)$"),
    ("rows: 4\n", r"^.*s\.yaml: field 'kind' is missing; known kinds: .*gemm"),
    ("kind: fft\n", r"^.*s\.yaml: field 'kind': unknown block kind 'fft'; known: .*gemm"),
    ("kind: gemm\nrows: [1,\n", r"^.*s\.yaml:\d+: not valid YAML: "),
    ("- 1\n- 2\n", r"^.*s\.yaml: a spec must be a mapping with a 'kind' field, got list$"),
])
def test_spec_errors_are_one_actionable_line(tmp_path, body, pattern):
    with pytest.raises(SpecError, match=pattern) as exc:
        load_spec(_write(tmp_path, body))
    assert len(str(exc.value).splitlines()) == 1


def test_several_bad_fields_give_one_line_each(tmp_path):
    with pytest.raises(SpecError) as exc:
        load_spec(_write(tmp_path, "kind: gemm\nrows: -1\ncols: 999\n"))
    lines = str(exc.value).splitlines()
    assert len(lines) == 2
    assert "'rows'" in lines[0] and "'cols'" in lines[1]


def test_missing_file():
    with pytest.raises(SpecError, match=r"^nope\.yaml: spec file not found$"):
        load_spec("nope.yaml")
