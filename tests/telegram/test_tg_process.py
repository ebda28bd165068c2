"""The bot as a process: start-up errors, SIGTERM, and kill -9 mid-form then a restart.

The restart test uses tests/telegram/tg_run_bot.py (run_telegram over the scripted engine, whose
sessions are in the data dir); test_tg_real_engine.py repeats it with `python -m bot.telegram_app`.
"""

from __future__ import annotations

import socket
import subprocess
import sys

from bot.config import Settings
from bot.telegram import texts
from tests.telegram.tg_fake_engine import ASK_HNTE, ASK_QUALS, ASK_RD, ScriptedEngine
from tests.telegram.tg_harness import ROOT, polling_started

RUNNER = "tests/telegram/tg_run_bot.py"


def run_entry(args: list[str], settings: Settings, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "POLICYBOT_DATA_DIR": str(settings.data_dir)}
    if settings.telegram_bot_token:
        env["TELEGRAM_BOT_TOKEN"] = settings.telegram_bot_token
    if settings.telegram_api_base_url:
        env["TELEGRAM_API_BASE_URL"] = settings.telegram_api_base_url
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_missing_token_is_a_one_line_bilingual_error(tmp_path):
    settings = Settings(POLICYBOT_DATA_DIR=tmp_path, TELEGRAM_BOT_TOKEN=None, TELEGRAM_API_BASE_URL=None)
    for args in (["-m", "bot.telegram_app"], ["-m", "bot", "telegram"]):
        done = run_entry(args, settings)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip() == texts.MISSING_TOKEN and "Traceback" not in done.stderr


def test_webhook_url_without_port_is_bad_usage(tmp_path):
    from bot.telegram_app import run_telegram

    settings = Settings(POLICYBOT_DATA_DIR=tmp_path, TELEGRAM_BOT_TOKEN="1:x", TELEGRAM_API_BASE_URL=None)
    assert run_telegram(settings, webhook_url="https://example.org/hook") == 2


def test_rejected_token_and_unreachable_api(fake_tg, tmp_path):
    wrong = Settings(POLICYBOT_DATA_DIR=tmp_path, TELEGRAM_BOT_TOKEN="999:wrong", TELEGRAM_API_BASE_URL=fake_tg.base_url)
    done = run_entry([RUNNER], wrong)
    assert done.returncode == 2 and texts.INVALID_TOKEN in done.stderr
    assert "999:wrong" not in done.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    nowhere = wrong.model_copy(update={"telegram_api_base_url": f"http://127.0.0.1:{closed_port}/bot"})
    done = run_entry([RUNNER], nowhere)
    assert done.returncode == 1 and "Cannot reach the Telegram Bot API" in done.stderr
    assert "Traceback" not in done.stderr.split("Cannot reach")[-1]


async def test_sigterm_stops_cleanly_and_confirms_updates(fake_tg, tg_settings, bot_process):
    process = bot_process([RUNNER], tg_settings)
    await polling_started(fake_tg, process, after=0)
    fake_tg.user_says(30, "echo:hi")
    assert await fake_tg.replies(30, 1) == ["hi"]
    assert process.stop() == 0
    await fake_tg.until(lambda: not fake_tg._pending, what="updates confirmed")  # the final getUpdates(offset)
    log = (tg_settings.data_dir / "logs" / "telegram.log").read_text(encoding="utf-8")
    assert "polling for updates" in log and fake_tg.token not in log


async def test_kill_9_mid_form_then_restart_continues_the_form(fake_tg, tg_settings, bot_process):
    first = bot_process([RUNNER], tg_settings)
    await polling_started(fake_tg, first, after=0)
    fake_tg.user_says(31, "/check")
    await fake_tg.replies(31, 1)
    fake_tg.press(31, "企业")
    assert ASK_QUALS in (await fake_tg.replies(31, 2))[1]
    fake_tg.press(31, "完成")
    assert ASK_RD in (await fake_tg.replies(31, 3))[2]
    answer = fake_tg.user_says(31, "1200万")
    assert ASK_HNTE in (await fake_tg.replies(31, 4))[3]
    first.kill()  # kill -9: no shutdown, nothing confirmed

    fake_tg.redeliver(answer["update_id"])  # Telegram hands out the unconfirmed update again
    polls = len(fake_tg.calls_to("getUpdates"))
    second = bot_process([RUNNER], tg_settings)
    await polling_started(fake_tg, second, after=polls)
    fake_tg.press(31, "是")  # a button sent by the killed process still works: the prompt was stored
    report = (await fake_tg.replies(31, 5))[4]
    assert "研发投入后补助：120万元/年" in report and "国家高新技术企业奖补：30万元" in report
    assert len(fake_tg.texts(31)) == 5  # the redelivered "1200万" was not answered twice
    assert second.stop() == 0
    state = ScriptedEngine(tg_settings.data_dir / "fake_engine.sqlite3").state("tg-31")
    assert state["step"] == "done" and state["profile"]["rd_investment_yuan"] == 12_000_000
