"""The command line as outside checks use it (CONTRACT.md §2): real processes, one data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEV_SCENARIOS = ROOT.parent / "shared" / "eval" / "dev_scenarios.jsonl"
if not DEV_SCENARIOS.exists():  # CI lays shared/ beside the clone; a developer may not have it
    DEV_SCENARIOS = ROOT / "tests" / "eval" / "scenarios.jsonl"


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    # deterministic mode: a model configured in the developer's shell must not change the answers
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "POLICYBOT_LLM_"))}
    env["POLICYBOT_DATA_DIR"] = str(tmp_path_factory.mktemp("cli-data"))
    return env


def run(args: list[str], env: dict, check_code: int | None = 0) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    if check_code is not None:
        assert proc.returncode == check_code, proc.stderr
    return proc


def ask(text: str, env: dict, *extra: str) -> dict:
    proc = run(["ask", text, "--json", *extra], env)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout  # exactly one JSON object, nothing else
    return json.loads(lines[0])


def test_ask_json_contract(cli_env):
    data = ask("我们去年被认定为国家高新技术企业，能拿多少", cli_env)
    assert data["covered"] is True
    assert data["citations"][0]["article"] == 15
    assert {"article": 15, "amount_yuan": 300000, "basis": "fixed"}.items() <= data["benefits"][0].items()
    assert "Traceback" not in data["reply"]


def test_dev_scenarios_exact_through_ask(cli_env):
    rows = [json.loads(line) for line in DEV_SCENARIOS.read_text(encoding="utf-8").splitlines() if line.strip()]
    failures = []
    for row in rows[:15]:
        data = ask(row["q"], cli_env)
        got = [{k: b[k] for k in ("article", "amount_yuan", "basis")} for b in data["benefits"]]
        if not all(item in got for item in row["expect"]):
            failures.append((row["q"], row["expect"], got))
    assert not failures


def test_multi_turn_through_session(cli_env):
    first = ask("我想看看我们能享受哪些政策", cli_env, "--session", "cli-form")
    assert first["asks"] and "企业" in first["choices"]
    ask("企业", cli_env, "--session", "cli-form")
    ask("国家高新技术企业", cli_env, "--session", "cli-form")
    last = ask("完成", cli_env, "--session", "cli-form")
    assert any(b["article"] == 15 and b["amount_yuan"] == 300000 for b in last["benefits"])
    assert last["profile"]["org_type"] == "enterprise"


def test_articles_and_article(cli_env):
    assert "支持科技企业" in run(["articles"], cli_env).stdout
    out = run(["article", "17"], cli_env).stdout
    assert "17.2" in out and "新型研发机构" in out


def test_bad_usage_exits_2_without_traceback(cli_env, tmp_path):
    proc = run(["article", "31"], cli_env, check_code=2)
    assert "Traceback" not in proc.stderr and "1 到 30" in proc.stderr
    proc = run(["benefits", str(tmp_path / "missing.json")], cli_env, check_code=2)
    assert "Traceback" not in proc.stderr and "找不到" in proc.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"figures": {"rd_investment_last_year": "-5万"}}', encoding="utf-8")
    proc = run(["benefits", str(bad)], cli_env, check_code=2)
    assert "Traceback" not in proc.stderr
    for command in (["ask", "你好"], ["serve", "--port", "1"], ["purge"]):  # a setting that cannot be taken
        proc = run(command, {**cli_env, "POLICYBOT_RETENTION_DAYS": "-1"}, check_code=2)
        assert "Traceback" not in proc.stderr and "POLICYBOT_RETENTION_DAYS" in proc.stderr and "请改正" in proc.stderr


def test_benefits_profile_file(cli_env, tmp_path):
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({
        "org_type": "tech_service",
        "triggers": ["tech_transfer_deals"],
        "figures": {"deal_amounts": ["800万", "900万", "1000万"]},
    }, ensure_ascii=False), encoding="utf-8")
    data = json.loads(run(["benefits", str(profile), "--json"], cli_env).stdout)
    assert [b["amount_yuan"] for b in data["benefits"]] == [810000]  # each capped, then summed
    profile.write_text(json.dumps({"triggers": ["tech_transfer_deals"], "summed": False,
                                   "figures": {"deal_amounts": ["800万", "900万", "1000万"]}}), encoding="utf-8")
    data = json.loads(run(["benefits", str(profile), "--json"], cli_env).stdout)
    assert [b["amount_yuan"] for b in data["benefits"]] == [240000, 270000, 300000]  # each asked: one per deal


def test_chat_ends_on_an_exit_word_without_answering_it(cli_env):
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "chat"], input="高企认定了能拿多少\n退出\n高企\n",
                          capture_output=True, text=True, env=cli_env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "30万元" in proc.stdout and "不在" not in proc.stdout
    assert proc.stdout.count("您：") == 2  # the line after 退出 is never read


def test_chat_record_then_replay_passes(cli_env, tmp_path):
    record = tmp_path / "rec.yaml"
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "chat", "--record", str(record)],
                          input="/check\n1\n国家高新技术企业\n完成\n", capture_output=True, text=True,
                          env=cli_env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "30万元" in proc.stdout
    replayed = run(["replay", str(record)], cli_env)
    assert "1 passed, 0 failed" in replayed.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text(record.read_text(encoding="utf-8").replace("300000", "400000"), encoding="utf-8")
    failed = run(["replay", str(broken)], cli_env, check_code=1)
    assert "0 passed, 1 failed" in failed.stdout


def test_ask_session_takes_option_numbers(tmp_path):
    """`ask --session S 1` presses the first option of S's last reply; "2 5" presses two, in order."""
    env = {**os.environ, "POLICYBOT_DATA_DIR": str(tmp_path)}
    for key in ("POLICYBOT_LLM_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        env.pop(key, None)

    def ask(text):
        out = subprocess.run([sys.executable, "-m", "bot.cli", "ask", text, "--session", "s-num", "--json"],
                             capture_output=True, text=True, env=env, check=True)
        return json.loads(out.stdout)

    first = ask("我想看看我们能享受哪些政策")
    assert first["choices"][0] == "企业"
    second = ask("1")
    assert second["profile"]["org_type"] == "enterprise"
    labels = second["choices"]
    picks = [labels.index("国家高新技术企业") + 1, labels.index("自治区科技领军企业") + 1]
    third = ask(f"{picks[0]} {picks[1]}")
    assert {"hitech_enterprise", "tech_leading_enterprise"} <= set(third["profile"]["triggers"])
