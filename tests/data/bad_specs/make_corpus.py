"""Writes tests/data/bad_specs/*.yaml: malformed specs of our own, each of which must be one clear error line."""
from pathlib import Path

OUT = Path(__file__).parent
BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")) + "kind: gemm\n"
CASES = {
    # YAML itself
    "alias_bomb": BOMB,
    "alias_many_small": "kind: gemm\nx: &x 1\n" + "".join(f"y{i}: *x\n" for i in range(40)),
    "deep_list": "kind: gemm\nname: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep_map": "kind: gemm\nname: " + "{a: " * 200 + "1" + "}" * 200 + "\n",
    "duplicate_key": "kind: gemm\nrows: 4\nrows: 8\n",
    "duplicate_kind": "kind: gemm\nkind: softmax\n",
    "tab_indent": "kind: gemm\n\trows: 4\n",
    "unclosed_bracket": "kind: gemm\nrows: [4\n",
    "unclosed_quote": "kind: \"gemm\nrows: 4\n",
    "python_tag": "kind: !!python/object/apply:os.system ['id']\n",
    "python_name_tag": "kind: gemm\nname: !!python/name:os.system\n",
    "binary_name": "kind: gemm\nname: !!binary aGVsbG8=\n",
    "custom_tag": "kind: !secret gemm\n",
    "merge_key_bomb": "base: &b {rows: 4}\nkind: gemm\n<<: *b\n<<: *b\n",
    "empty_file": "",
    "only_comment": "# nothing here\n",
    "only_dashes": "---\n---\n",
    "two_documents": "kind: gemm\n---\nkind: softmax\n",
    "null_document": "~\n",
    "scalar_document": "gemm\n",
    "list_document": "- kind: gemm\n",
    "number_document": "42\n",
    # kind
    "kind_missing": "rows: 4\n",
    "kind_null": "kind: null\n",
    "kind_empty": "kind: ''\n",
    "kind_unknown": "kind: fft\n",
    "kind_number": "kind: 7\n",
    "kind_list": "kind: [gemm]\n",
    "kind_case": "kind: GEMM\n",
    # types
    "rows_bool": "kind: gemm\nrows: true\n",
    "rows_yes": "kind: gemm\nrows: yes\n",
    "rows_string": "kind: gemm\nrows: eight\n",
    "rows_float": "kind: gemm\nrows: 4.5\n",
    "rows_list": "kind: gemm\nrows: [4]\n",
    "rows_map": "kind: gemm\nrows: {n: 4}\n",
    "rows_null": "kind: gemm\nrows: null\n",
    "rows_huge_int": "kind: gemm\nrows: " + "9" * 5000 + "\n",
    "rows_negative": "kind: gemm\nrows: -4\n",
    "rows_zero": "kind: gemm\nrows: 0\n",
    "rows_over": "kind: gemm\nrows: 65\n",
    "in_bits_six": "kind: gemm\nin_bits: 6\n",
    "signed_string": "kind: gemm\nsigned: maybe\n",
    "overflow_unknown": "kind: gemm\noverflow: clip\n",
    "dataflow_unknown": "kind: gemm\ndataflow: row_stationary\n",
    "gamma_bools": "kind: norm\nhidden: 4\nlanes: 4\ngamma: [true, false, true, 1]\n",
    "gamma_wrong_length": "kind: norm\nhidden: 8\nlanes: 4\ngamma: [1, 2, 3]\n",
    "eps_string": "kind: norm\neps: tiny\n",
    "eps_nan": "kind: norm\neps: .nan\n",
    "eps_inf": "kind: norm\nmax_abs_error: .inf\neps: -.inf\n",
    "lanes_not_dividing": "kind: softmax\nlength: 10\nlanes: 4\n",
    "clamp_bounds": "kind: clamp\nlo: 5\nhi: 2\n",
    "unknown_field": "kind: gemm\ncolumns: 8\n",
    "misspelled_field": "kind: gemm\nrow: 8\n",
    "version_99": "kind: gemm\nversion: 99\n",
    "version_string": "kind: gemm\nversion: one\n",
    "name_number": "kind: gemm\nname: 12\n",
    "name_huge": "kind: gemm\nname: " + "x" * 300_000 + "\n",
    # in range field by field, too large to verify here
    "gemm_enormous": "kind: gemm\nrows: 64\ncols: 64\nk: 65536\n",
    "attention_enormous": "kind: attention\nhead_dim: 64\nseq_len: 4096\nkv_block: 64\nmax_buffer_bytes: 1000000\n",
}
BINARY = {
    "latin1": b"kind: gemm\nname: caf\xe9\n",
    "utf16": "kind: gemm\n".encode("utf-16"),
    "nul_bytes": b"kind: gemm\x00\nrows: 4\n",
    "random_bytes": bytes(range(256)) * 4,
}

if __name__ == "__main__":
    for name, text in CASES.items():
        (OUT / f"{name}.yaml").write_text(text)
    for name, data in BINARY.items():
        (OUT / f"{name}.yaml").write_bytes(data)
    print(len(CASES) + len(BINARY), "files")
