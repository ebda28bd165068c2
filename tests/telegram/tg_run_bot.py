"""`policybot telegram` with the scripted engine, as a separate process (restart and load tests).

Usage:
    PYTHONPATH=<repo> python tests/telegram/tg_run_bot.py [--delay S] [--lifted]

Reads the same environment as the real entry (TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL,
POLICYBOT_DATA_DIR); the engine's sessions live in $POLICYBOT_DATA_DIR/fake_engine.sqlite3, so a
killed and restarted process continues where it was. --lifted removes the 30 messages/s limit.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from telegram.ext import AIORateLimiter

from bot.config import load_settings
from bot.telegram.app import build_application
from bot.telegram.runner import configure_logging, run_telegram, serve
from tests.telegram.tg_fake_engine import ScriptedEngine


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.0, help="seconds each engine turn takes")
    parser.add_argument("--lifted", action="store_true", help="no overall/group rate limit")
    args = parser.parse_args()
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = ScriptedEngine(settings.data_dir / "fake_engine.sqlite3", delay=args.delay)
    if not args.lifted:
        return run_telegram(settings, engine=engine)
    configure_logging(settings)
    limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)
    asyncio.run(serve(build_application(settings, engine, rate_limiter=limiter)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
