"""`policybot ask --llm/--no-llm` and `policybot eval --llm` as processes, against the fake server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.llm import prompts
from tests.fakes.fake_openai import FakeOpenAI, restate_core_answer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def env(data_dir, warm):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "POLICYBOT_"))}
    return {**clean, "POLICYBOT_DATA_DIR": str(data_dir)}


def run(args, env, code=0):
    proc = subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture()
def served():
    with FakeOpenAI(default=restate_core_answer) as fake:
        yield fake


def llm_env(env, fake):
    return {**env, "OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "k", "POLICYBOT_LLM_MODEL": "fake-model"}


@pytest.mark.parametrize(("extra", "message"), [
    ({}, "missing_model"),
    ({"POLICYBOT_LLM_MODEL": "m"}, "missing_base_url"),
    ({"POLICYBOT_LLM_MODEL": "m", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, "missing_key"),
])
def test_ask_llm_says_what_to_set(env, extra, message):
    proc = run(["ask", "高企能拿多少", "--llm", "--json"], {**env, **extra}, code=2)
    assert proc.stderr.strip() == prompts.text("config", message) and proc.stdout == ""


def test_ask_llm_json_goes_through_the_model(env, served):
    proc = run(["ask", "高企能拿多少", "--llm", "--json"], llm_env(env, served))
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["benefits"][0]["amount_yuan"] == 300_000 and len(served.requests) == 1
    assert data["reply"] == json.loads(served.requests[0]["messages"][-1]["content"])["reply"]


def test_no_llm_never_calls_the_model(env, served):
    proc = run(["ask", "高企能拿多少", "--no-llm", "--json"], llm_env(env, served))
    assert json.loads(proc.stdout)["benefits"][0]["amount_yuan"] == 300_000
    assert served.requests == []


def test_model_configured_means_llm_mode_by_default(env, served):
    run(["ask", "高企能拿多少", "--json"], llm_env(env, served))
    assert len(served.requests) == 1


def test_eval_llm(env, served):
    proc = run(["eval", "--llm", "--json", "--limit", "4"], llm_env(env, served))
    result = json.loads(proc.stdout)
    for part in ("questions", "scenarios"):
        assert result[part]["turns"] == 4
        assert result[part]["guard_pass_rate"] == 1.0 and result[part]["benefits_agreement"] == 1.0
        assert result[part]["latency_ms_p95"] > 0 and result[part]["tokens_per_turn_mean"] > 0
    assert result["endpoint"]["model"] == "fake-model"


def test_eval_llm_without_a_model(env):
    proc = run(["eval", "--llm"], env, code=2)
    assert proc.stderr.strip() == prompts.text("config", "missing_model")
