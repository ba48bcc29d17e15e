"""GemmSpec: a systolic matrix-multiply array C[rows][cols] = A[rows][k] x B[k][cols]."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from accelsmith.spec import BlockSpec, Rate, register_spec, stream_ports


@register_spec
class GemmSpec(BlockSpec):
    """One job multiplies an A tile (rows x k) by a B tile (k x cols).

    Interface (ready/valid both ways): beat t of a job carries column t of A on ``in_a`` (rows lanes)
    and row t of B on ``in_b`` (cols lanes); the result leaves as ``rows`` beats on ``out_data``
    (cols lanes of ``acc_bits``), row 0 first. Lane i sits at bits ``[i*w +: w]``.
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
        ),
        "scale": (
            {"name": "minilm_gemm_16x16_int8_k384", "rows": 16, "cols": 16, "k": 384, "acc_bits": 28},
            {"name": "minilm_gemm_32x32_int8_k384", "rows": 32, "cols": 32, "k": 384, "acc_bits": 28},
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

    @model_validator(mode="after")
    def _product_fits(self) -> GemmSpec:
        if self.acc_bits < 2 * self.in_bits:
            raise ValueError(
                f"acc_bits={self.acc_bits} cannot hold one {self.in_bits}-bit product; "
                f"allowed: acc_bits >= {2 * self.in_bits}"
            )
        return self

    @property
    def design_units(self) -> int:
        return self.rows * self.cols

    @property
    def size_label(self) -> str:
        return f"{self.rows}x{self.cols} = {self.design_units} PEs, K {self.k}"

    def summary(self) -> str:
        sign = "int" if self.signed else "uint"
        return (f"{self.rows}x{self.cols} {sign}{self.in_bits} K={self.k} acc{self.acc_bits} "
                f"{self.overflow} {self.dataflow.replace('_', '-')}")

    @property
    def beats_per_job(self) -> int:
        return self.k + self.rows

    @property
    def ideal_job_cycles(self) -> int:
        """Cycles from a job's first operand beat to its last MAC in an R x C output-stationary array."""
        return self.k + self.rows + self.cols - 2

    @property
    def job_latency_cycles(self) -> int:
        """One job alone, no bubbles or stalls: first operand beat -> last result beat, per the documented schedule.

        Output-stationary: the corner PE's last MAC ends K + R + C - 2 cycles after the first beat, then R result
        beats. Weight-stationary: K load beats + ceil(K/R) folds of (2R + C - 1) stream cycles + R result beats.
        """
        R, C, K = self.rows, self.cols, self.k
        if self.dataflow == "weight_stationary":
            return K + -(-K // R) * (2 * R + C - 1) + R
        return self.ideal_job_cycles + R

    @property
    def rate(self) -> Rate:
        """Output-stationary: two accumulator banks, so jobs overlap: a job every K cycles (operand-bound), or two
        per job latency when that is longer. Weight-stationary: jobs do not overlap."""
        if self.dataflow == "weight_stationary":
            return Rate(ii_cycles=self.job_latency_cycles, first_job_cycles=self.job_latency_cycles)
        return Rate(ii_cycles=max(self.k, self.job_latency_cycles / 2), first_job_cycles=self.job_latency_cycles)

    def ports(self) -> dict[str, dict]:
        """Port names and lane layout of the block, shared by templates, benches and prompts."""
        return stream_ports({"a": (self.rows, self.in_bits, self.signed), "b": (self.cols, self.in_bits, self.signed)},
                            {"data": (self.cols, self.acc_bits, self.signed)})
