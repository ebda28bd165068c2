"""Fixtures for the Telegram front end: a fake Bot API server and the real PTB Application on it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.fakes` must import however pytest was started
    sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from tests.fakes.fake_telegram import FakeTelegram  # noqa: E402
from tests.telegram.tg_fake_engine import ScriptedEngine  # noqa: E402
from tests.telegram.tg_harness import BotProcess, running_bot  # noqa: E402


@pytest.fixture
def fake_tg():
    with FakeTelegram() as tg:
        yield tg


@pytest.fixture
def tg_settings(tmp_path, fake_tg) -> Settings:
    return Settings(
        POLICYBOT_DATA_DIR=tmp_path / "data",
        TELEGRAM_BOT_TOKEN=fake_tg.token,
        TELEGRAM_API_BASE_URL=fake_tg.base_url,
    )


@pytest.fixture
def engine(tmp_path) -> ScriptedEngine:
    return ScriptedEngine(tmp_path / "fake_engine.sqlite3")


@pytest.fixture
async def bot(tg_settings, engine):
    async with running_bot(tg_settings, engine) as app:
        yield app


@pytest.fixture
def bot_process(tmp_path):
    """start(args, settings) -> BotProcess; every process is killed at teardown."""
    started: list[BotProcess] = []

    def start(args: list[str], settings: Settings) -> BotProcess:
        process = BotProcess(args, settings, tmp_path / f"bot-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()
