"""Fixtures for the Telegram front end: a fake Bot API server and the real PTB Application on it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.fakes` must import however pytest was started
    sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.telegram.app import build_application  # noqa: E402
from bot.telegram.runner import serve_polling  # noqa: E402
from tests.fakes.fake_telegram import FakeTelegram  # noqa: E402
from tests.telegram.tg_fake_engine import ScriptedEngine  # noqa: E402


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


@asynccontextmanager
async def running_bot(settings: Settings, engine, *, poll_timeout: float = 0.5, **build_kwargs):
    """build_application + serve_polling in a task; stopped (and awaited) on exit."""
    app = build_application(settings, engine, **build_kwargs)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve_polling(app, stop, poll_timeout=poll_timeout, ready=ready))
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiter}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
    if not ready.is_set():
        waiter.cancel()
        stop.set()
        await task  # raises what went wrong
        raise AssertionError("bot did not start")
    try:
        yield app
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)


@pytest.fixture
async def bot(tg_settings, engine):
    async with running_bot(tg_settings, engine) as app:
        yield app


class BotProcess:
    """A bot in its own process (the real entry or tests/telegram/tg_run_bot.py), logs in a file."""

    def __init__(self, args: list[str], settings: Settings, log_path: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TELEGRAM_", "POLICYBOT_"))}
        env.update(
            PYTHONPATH=str(ROOT),
            POLICYBOT_DATA_DIR=str(settings.data_dir),
            TELEGRAM_BOT_TOKEN=settings.telegram_bot_token or "",
            TELEGRAM_API_BASE_URL=settings.telegram_api_base_url or "",
        )
        if not settings.telegram_bot_token:
            del env["TELEGRAM_BOT_TOKEN"]
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """kill -9: no shutdown code runs, nothing is confirmed to the Bot API."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        self._log.close()


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


async def polling_started(tg: FakeTelegram, process: BotProcess, after: int, timeout: float = 30) -> None:
    """Wait until `process` is polling: a getUpdates call beyond the first `after` ones."""

    def ready() -> bool:
        if process.proc.poll() is not None:
            raise AssertionError(f"bot exited with {process.proc.returncode}:\n{process.log()}")
        return len(tg.calls_to("getUpdates")) > after

    await tg.until(ready, timeout, "the bot process to poll")
