"""Running the bot against the fake Bot API in tests: in-process (running_bot) or as a process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path

from bot.config import Settings
from bot.telegram.app import build_application
from bot.telegram.runner import serve_polling
from tests.fakes.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]


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
        if settings.database_url:
            env["POLICYBOT_DATABASE_URL"] = settings.database_url
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


async def polling_started(tg: FakeTelegram, process: BotProcess, after: int, timeout: float = 30) -> None:
    """Wait until `process` is polling: a getUpdates call beyond the first `after` ones."""

    def ready() -> bool:
        if process.proc.poll() is not None:
            raise AssertionError(f"bot exited with {process.proc.returncode}:\n{process.log()}")
        return len(tg.calls_to("getUpdates")) > after

    await tg.until(ready, timeout, "the bot process to poll")
