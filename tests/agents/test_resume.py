"""A run killed with SIGKILL resumes from its last finished node; finished work is not redone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from agents_designs import BROKEN_RTL, GOOD_RTL, SPEC, fenced
from agents_oai_server import PLAN_JSON, ScriptedServer, is_plan_request

pytestmark = pytest.mark.sim


def _cli(*args: str, env: dict) -> list[str]:
    return [sys.executable, "-m", "accelsmith.cli", *args]


def test_resume_after_sigkill_continues_without_redoing_work(tmp_path):
    reached, release = threading.Event(), threading.Event()
    drafts: list[int] = []

    def responder(body: dict) -> dict:
        if is_plan_request(body):
            return {"text": PLAN_JSON}
        drafts.append(1)
        if len(drafts) == 1:
            return fenced(BROKEN_RTL)
        if len(drafts) == 2:  # the killed run's second draft: hold it open until the test has killed it
            reached.set()
            return {"block": release, "then": {"status": 503}}
        return fenced(GOOD_RTL)

    spec_path = tmp_path / "relu.yaml"
    spec_path.write_text(yaml.safe_dump(SPEC.to_json()))
    runs = tmp_path / "runs"
    with ScriptedServer(responder) as srv:
        env = {**os.environ, "ACCELSMITH_LLM_BASE_URL": srv.base_url, "ACCELSMITH_LLM_MODEL": "m",
               "OPENAI_API_KEY": "sk-never-stored", "ACCELSMITH_WAVES": "0",
               "ACCELSMITH_SHELL": "0"}  # the scripted replies are whole streaming designs
        proc = subprocess.Popen(_cli("design", str(spec_path), "--backend", "openai", "--sim", "icarus",
                                     "--no-cross-check", "--runs-dir", str(runs), env=env),
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert reached.wait(120), "the second draft request never arrived"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        release.set()
        (run_id,) = [p.name for p in runs.iterdir() if p.is_dir()]
        run_dir = runs / run_id
        iter1 = {p: p.stat().st_mtime_ns for p in (run_dir / "iter_01").rglob("*") if p.is_file()}
        assert not (run_dir / "report.md").exists()

        out = subprocess.run(_cli("resume", run_id, "--runs-dir", str(runs), env=env), env=env,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "VERIFIED" in out.stdout
        # plan, draft 1, check, verify and debug were not redone: one plan request, one new draft request
        assert sum(is_plan_request(r["body"]) for r in srv.requests) == 1
        assert len(drafts) == 3
        resumed_nodes = [line.split()[0] for line in out.stdout.splitlines() if line.startswith("  ") and "s " in line]
        assert "draft" in resumed_nodes and "plan" not in resumed_nodes, out.stdout
        assert {p: p.stat().st_mtime_ns for p in iter1} == iter1
    cost = json.loads((run_dir / "cost.json").read_text())
    assert cost["tokens_out.m"] > 0
    listing = subprocess.run(_cli("runs", "list", "--runs-dir", str(runs), env=env), env=env, capture_output=True,
                             text=True, timeout=60)
    assert "verified" in listing.stdout
    for p in run_dir.rglob("*"):
        if p.is_file():
            assert b"sk-never-stored" not in p.read_bytes(), p
