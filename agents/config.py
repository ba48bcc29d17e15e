"""A design run's configuration: frozen, typed, saved in the run folder, handed to the graph as configuration.

What a run was asked to do (backend and its options, budgets, simulators, switches) is apart from what it has
done (``agents.state.DesignState``). ``design`` writes ``config.json`` into the run folder before the first node;
``resume`` reads it back. Secrets never enter it: backends read their API key from the environment themselves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accelsmith.errors import ConfigError

CONFIG_FILE = "config.json"
_SECRET_NAMES = {"api_key", "key", "password", "secret"}


class Limits(BaseModel):
    """Per-step limits set by hand (None: scaled with the design, ``verification._limits``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lint_s: float | None = None
    build_s: float | None = None
    sim_s: float | None = None
    memory_mb: int | None = None


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: str = "expert"
    backend_options: dict[str, Any] = Field(default_factory=dict, description="non-secret options: base URL, model, paths")
    sim: str = "verilator"
    cross_check: tuple[str, ...] = ()
    max_iterations: int = Field(4, ge=1)
    max_tokens: int = Field(0, ge=0, description="0: no token budget (tokens in + out, all models)")
    wall_clock_s: float = Field(0.0, ge=0, description="0: no wall-clock budget (sum of node seconds)")
    force_scratch: bool = False   # withhold the kind's template: draft from the spec alone
    waves: bool = True            # cut a waveform window around the first mismatch for debug
    fixers: bool = True           # mechanical fixes of an LLM draft's lint errors before it is asked again
    retrieve: bool = True         # a draft without a template sees the closest design verified in this store
    shell: bool = True            # a beat-function block from scratch: the model writes the combinational core,
                                  # the streaming shell (ready/valid, reset, pipeline) is generated from the spec
    candidates: int = Field(1, ge=1, le=16,
                            description="designs asked for per draft step; the best by evidence goes on")
    temperature: float = Field(0.7, ge=0.0, le=2.0, description="sampling temperature of candidates after the first")
    estimate: bool = False        # synthesise a verified design (yosys) and record ppa.json
    fpga: str | None = Field("ecp5-85k", description="with estimate: place and route on this ECP5 device "
                                              "(verification._fpga.DEVICES); None: yosys cells only")
    bench_timeout_s: float | None = None
    limits: Limits = Limits()

    def model_post_init(self, _context: Any) -> None:
        from accelsmith.verification._fpga import device_option

        if self.fpga is not None:
            device_option(self.fpga)  # an unknown device is one line naming the known ones
        secret = _SECRET_NAMES & set(self.backend_options)
        if secret:
            raise ValueError(f"backend_options must not hold secrets ({', '.join(sorted(secret))})")

    def save(self, run_dir: Path) -> Path:
        path = Path(run_dir) / CONFIG_FILE
        path.write_text(json.dumps(self.model_dump(mode="json"), indent=1, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, run_dir: Path) -> RunConfig:
        """The configuration saved in ``run_dir``; a missing or malformed file is one ``ConfigError`` line."""
        path = Path(run_dir) / CONFIG_FILE
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"{path}: the run's configuration is missing") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ConfigError(f"{path}: not a readable run configuration ({str(err).splitlines()[0]})") from None
        try:
            return cls.model_validate(data)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "<config>"
            raise ConfigError(f"{path}: field {where!r}: {first['msg']}") from None

    @classmethod
    def from_old_state(cls, values: dict) -> RunConfig:
        """A run started before the configuration left the state kept it in its checkpoint: read it from there."""
        keys = set(cls.model_fields) - {"limits"}
        data = {k: values[k] for k in keys if values.get(k) is not None}
        limits = {k: v for k, v in (values.get("limits") or {}).items() if k in Limits.model_fields}
        return cls.model_validate({**data, "limits": limits})


def run_config(config: dict | None) -> RunConfig:
    """The run's configuration from the graph's ``config['configurable']['run']``."""
    run = ((config or {}).get("configurable") or {}).get("run")
    if isinstance(run, RunConfig):
        return run
    if isinstance(run, dict):
        return RunConfig.model_validate(run)
    raise ConfigError("the design graph was started without a run configuration")
