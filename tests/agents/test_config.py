"""The run configuration: frozen and typed, saved in the run folder at start, read back by resume; the command
line's LLM options reach it as values, never through os.environ."""

import json
import os

import pytest
from typer.testing import CliRunner

from accelsmith.agents.config import CONFIG_FILE, RunConfig
from accelsmith.cli import app
from accelsmith.errors import ConfigError


def test_the_configuration_is_frozen_typed_and_refuses_secrets():
    cfg = RunConfig(backend="openai", backend_options={"model": "m"}, max_tokens=10)
    with pytest.raises(Exception):
        cfg.max_tokens = 5  # frozen
    with pytest.raises(Exception, match="must not hold secrets"):
        RunConfig(backend_options={"api_key": "sk-x"})
    with pytest.raises(Exception):
        RunConfig(max_iterations=0)


def test_a_missing_or_malformed_config_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"config.json: the run's configuration is missing$"):
        RunConfig.load(tmp_path)
    (tmp_path / CONFIG_FILE).write_text("{not json")
    with pytest.raises(ConfigError, match=r"not a readable run configuration"):
        RunConfig.load(tmp_path)
    (tmp_path / CONFIG_FILE).write_text(json.dumps({"backend": "expert", "max_iterations": "many"}))
    with pytest.raises(ConfigError, match=r"field 'max_iterations'"):
        RunConfig.load(tmp_path)


@pytest.mark.sim
def test_global_options_reach_the_saved_configuration_and_not_the_environment(tmp_path):
    before = dict(os.environ)
    runs = tmp_path / "runs"
    out = CliRunner().invoke(app, ["--max-tokens", "12345", "--wall-clock", "900", "--no-waves", "design",
                                   "examples/add_int8.yaml", "--sim", "icarus", "--no-cross-check",
                                   "--runs-dir", str(runs)])
    assert out.exit_code == 0, out.output
    assert dict(os.environ) == before  # nothing was written to the environment
    (run_dir,) = [p for p in runs.iterdir() if p.is_dir()]
    saved = json.loads((run_dir / CONFIG_FILE).read_text())
    assert saved["max_tokens"] == 12345 and saved["wall_clock_s"] == 900 and saved["waves"] is False
    assert saved["sim"] == "icarus" and saved["cross_check"] == [] and saved["backend"] == "expert"
    assert RunConfig.load(run_dir).max_tokens == 12345
    # the state holds run data only
    from accelsmith.agents.state import DesignState

    assert not {"backend", "sim", "max_tokens", "waves", "limits"} & set(DesignState.__annotations__)
    # resume reads the configuration back: a malformed one is one line, and the run folder is untouched
    def kept():  # SQLite's -wal/-shm side files come and go with a reader
        return sorted(p.name for p in run_dir.iterdir() if not p.name.startswith("checkpoints.sqlite-"))

    files = kept()
    (run_dir / CONFIG_FILE).write_text("[]")
    res = CliRunner().invoke(app, ["resume", run_dir.name, "--runs-dir", str(runs)])
    assert res.exit_code == 2 and "config.json" in res.output, res.output
    assert kept() == files


def test_the_grammar_switch_reaches_llm_backends_only():
    from accelsmith.agents._options import LlmOptions, resolve_backend_options

    on = LlmOptions(grammar=True)
    assert resolve_backend_options("local", {"model_path": "m.gguf"}, on)["grammar"] is True
    assert resolve_backend_options("cascade", {}, on)["grammar"] is True
    assert "grammar" not in resolve_backend_options("expert", {}, on)
    assert "grammar" not in resolve_backend_options("local", {}, LlmOptions())
    out = CliRunner().invoke(app, ["--llm-grammar", "--help"])
    assert out.exit_code == 0 and "--llm-grammar" in out.output
