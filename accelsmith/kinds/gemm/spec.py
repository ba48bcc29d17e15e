"""GemmSpec: a systolic matrix-multiply array C[rows][cols] = A[rows][k] x B[k][cols]."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from accelsmith.spec import BlockSpec, Rate, register_spec, stream_ports


@register_spec
class GemmSpec(BlockSpec):
    """One job multiplies an A tile (M x k) by a B tile (k x cols); M = rows (output-stationary) or ``m``.

    Interface (ready/valid both ways); lane i sits at bits ``[i*w +: w]``; the result leaves as M beats on
    ``out_data`` (cols lanes of ``acc_bits``), row 0 first.

    - output-stationary: beat t of a job carries column t of A on ``in_a`` (rows lanes) and row t of B on
      ``in_b`` (cols lanes); K beats per job.
    - weight-stationary: K is cut into ``folds`` = ceil(k / rows) weight folds of ``rows`` reduction steps;
      each fold takes ``fold_beats`` = max(M, rows, cols - 1) beats. Beat j of fold f carries row j of A's
      fold slice on ``in_a`` (lane i = A[j][f*rows + i], for j < M) and row f*rows + j of B on ``in_b``
      (the stationary weights, for j < rows). Lanes past k in the last fold and beats past M (A) or past
      rows (B) are ignored.
    """

    kind: ClassVar[str] = "gemm"
    # regression corners (accelsmith regress --tier fast|scale): widths, rounding, dataflow, sizes
    grid: ClassVar[dict[str, tuple[dict, ...]]] = {
        "fast": (
            {"name": "gemm_os_4x4_int8", "rows": 4, "cols": 4, "k": 8},
            {"name": "gemm_os_3x2_int4_sat", "rows": 3, "cols": 2, "k": 5, "in_bits": 4, "acc_bits": 8,
             "overflow": "saturate"},
            {"name": "gemm_os_2x3_int8_k1", "rows": 2, "cols": 3, "k": 1},  # ROWS = 2 and K = 1 edges
            {"name": "gemm_ws_4x3_int4_sat", "rows": 4, "cols": 3, "k": 10, "in_bits": 4, "acc_bits": 8,
             "overflow": "saturate", "dataflow": "weight_stationary"},
            {"name": "gemm_ws_3x2_uint4_sat_k2", "rows": 3, "cols": 2, "k": 2, "in_bits": 4, "signed": False,
             "acc_bits": 8, "overflow": "saturate", "dataflow": "weight_stationary"},  # K < ROWS: a short first fold
            {"name": "gemm_ws_2x4_uint8", "rows": 2, "cols": 4, "k": 6, "signed": False, "acc_bits": 16,
             "dataflow": "weight_stationary"},
            # M rows of A per weight fold: more rows than PEs (M = 9 > rows), and one row with the fold set by
            # cols - 1 (the weight buffers' reuse distance)
            {"name": "gemm_ws_4x3_int8_m9", "rows": 4, "cols": 3, "k": 10, "m": 9, "dataflow": "weight_stationary"},
            {"name": "gemm_ws_2x6_int4_sat_m1", "rows": 2, "cols": 6, "k": 7, "m": 1, "in_bits": 4, "acc_bits": 8,
             "overflow": "saturate", "dataflow": "weight_stationary"},  # 4 folds, the last one half used
        ),
        "scale": (
            {"name": "minilm_gemm_16x16_int8_k384", "rows": 16, "cols": 16, "k": 384, "acc_bits": 28},
            {"name": "minilm_gemm_32x32_int8_k384", "rows": 32, "cols": 32, "k": 384, "acc_bits": 28},
            # MiniLM's output projection as the weight-stationary array runs it: all 128 tokens per weight fold
            {"name": "minilm_gemm_ws_16x16_int8_k384_m128", "rows": 16, "cols": 16, "k": 384, "m": 128,
             "acc_bits": 28, "dataflow": "weight_stationary"},
        ),
    }

    rows: int = Field(8, ge=1, le=64, description="PE array rows = output rows per job (M tile)")
    cols: int = Field(8, ge=1, le=64, description="PE array columns = output columns per job (N tile)")
    k: int = Field(16, ge=1, le=65536, description="reduction length per job (K)")
    in_bits: Literal[4, 8] = Field(8, description="operand width in bits")
    signed: bool = Field(True, description="operands and accumulator are two's complement")
    acc_bits: int = Field(32, ge=8, le=48, description="accumulator width in bits")
    overflow: Literal["wrap", "saturate"] = Field("wrap", description="accumulator overflow rule")
    dataflow: Literal["output_stationary", "weight_stationary"] = Field(
        "output_stationary", description="systolic dataflow"
    )
    m: int | None = Field(None, ge=1, le=4096, description=(
        "weight-stationary: rows of A per job (M), all streamed through each weight fold while the next "
        "fold's weights load; default rows. Output-stationary jobs are rows x cols (leave it unset)"))

    hash_since: ClassVar[tuple[str, ...]] = ("m",)

    @model_validator(mode="after")
    def _product_fits(self) -> GemmSpec:
        if self.acc_bits < 2 * self.in_bits:
            raise ValueError(
                f"acc_bits={self.acc_bits} cannot hold one {self.in_bits}-bit product; "
                f"allowed: acc_bits >= {2 * self.in_bits}"
            )
        if self.m is not None and self.dataflow != "weight_stationary" and self.m != self.rows:
            raise ValueError(f"m={self.m}: an output-stationary job is rows x cols ({self.rows} rows); "
                             "m applies to the weight-stationary dataflow only")
        return self

    @property
    def job_rows(self) -> int:
        """M: rows of A (and result beats) per job."""
        return self.m if self.m is not None else self.rows

    @property
    def folds(self) -> int:
        """Weight folds per job (weight-stationary): ceil(k / rows)."""
        return -(-self.k // self.rows)

    @property
    def fold_beats(self) -> int:
        """Input beats per weight fold (weight-stationary): max(M, rows, cols - 1). M rows of A stream through
        each fold; at least rows beats load the next fold's weights; cols - 1 keeps a weight buffer from being
        reloaded before the fold two back has left the last column."""
        return max(self.job_rows, self.rows, self.cols - 1)

    @property
    def acc_banks(self) -> int:
        """Output-stationary accumulator banks: enough that a bank has drained (K + 2R + C - 1 cycles after its
        job's first beat) before jobs every max(K, R) cycles come back to it; at least 2, at most 8."""
        R, C, K = self.rows, self.cols, self.k
        return min(8, max(2, -(-(K + 2 * R + C - 1) // max(K, R))))

    @property
    def design_units(self) -> int:
        return self.rows * self.cols

    @property
    def size_label(self) -> str:
        return f"{self.rows}x{self.cols} = {self.design_units} PEs, K {self.k}"

    def summary(self) -> str:
        sign = "int" if self.signed else "uint"
        return (f"{self.rows}x{self.cols} {sign}{self.in_bits} K={self.k} acc{self.acc_bits} "
                f"{self.overflow} {self.dataflow.replace('_', '-')}" + (f" M={self.m}" if self.m is not None else ""))

    @property
    def beats_per_job(self) -> int:
        if self.dataflow == "weight_stationary":
            return self.folds * self.fold_beats + self.job_rows
        return self.k + self.rows

    @property
    def ideal_job_cycles(self) -> int:
        """Cycles from a job's first operand beat to its last MAC in an R x C output-stationary array."""
        return self.k + self.rows + self.cols - 2

    @property
    def job_latency_cycles(self) -> int:
        """One job alone, no bubbles or stalls: first operand beat -> last result beat, per the documented schedule.

        Output-stationary: the corner PE's last MAC ends K + R + C - 2 cycles after the first beat, then R result
        beats. Weight-stationary: (folds - 1) x fold_beats beats of the earlier folds, then the last fold's row
        M - 1 enters one cycle after its beat, crosses R rows and C columns and one output register:
        (folds - 1) x fold_beats + M + R + C + 1.
        """
        R, C = self.rows, self.cols
        if self.dataflow == "weight_stationary":
            return (self.folds - 1) * self.fold_beats + self.job_rows + R + C + 1
        return self.ideal_job_cycles + R

    @property
    def rate(self) -> Rate:
        """Output-stationary: ``acc_banks`` accumulator banks, so jobs overlap: a job every max(K, R) cycles (operand-
        or result-bound), or the job latency over the banks if that is longer (more than 8 banks needed).
        Weight-stationary: folds and jobs follow each other with no gap, a job every folds x fold_beats cycles."""
        if self.dataflow == "weight_stationary":
            return Rate(ii_cycles=self.folds * self.fold_beats, first_job_cycles=self.job_latency_cycles)
        R, C, K = self.rows, self.cols, self.k
        return Rate(ii_cycles=max(K, R, (K + 2 * R + C - 1) / self.acc_banks), first_job_cycles=self.job_latency_cycles)

    @property
    def jobs_on_schedule(self) -> bool:
        """True when back-to-back jobs with no bubbles or stalls each take exactly ``job_latency_cycles`` (no job waits
        for a bank or for the result port): weight-stationary always; output-stationary when K >= R and the banks
        suffice."""
        if self.dataflow == "weight_stationary":
            return True
        R, C, K = self.rows, self.cols, self.k
        return K >= R and self.acc_banks * K >= K + 2 * R + C - 1

    def ports(self) -> dict[str, dict]:
        """Port names and lane layout of the block, shared by templates, benches and prompts."""
        return stream_ports({"a": (self.rows, self.in_bits, self.signed), "b": (self.cols, self.in_bits, self.signed)},
                            {"data": (self.cols, self.acc_bits, self.signed)})
