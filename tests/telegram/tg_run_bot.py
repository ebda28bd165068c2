"""`policybot telegram` with the scripted engine, as a separate process (restart and load tests).

Usage:
    PYTHONPATH=<repo> python tests/telegram/tg_run_bot.py [--delay S] [--stall S] [--lifted]
                                                          [--webhook-url URL --port P]

Reads the same environment as the real entry (TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL,
POLICYBOT_DATA_DIR); the engine's sessions live in $POLICYBOT_DATA_DIR/fake_engine.sqlite3, so a
killed and restarted process continues where it was. --lifted removes the 30 messages/s limit;
--stall is how long a "stall:<text>" turn takes; --webhook-url/--port serve a webhook instead
(on 127.0.0.1 only).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from telegram.ext import AIORateLimiter

from bot.config import load_settings
from bot.telegram.app import build_application
from bot.telegram.runner import configure_logging, run_telegram, serve, serve_webhook
from tests.telegram.tg_fake_engine import ScriptedEngine


async def serve_local_webhook(app, webhook_url: str, port: int) -> None:
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await serve_webhook(app, stop, webhook_url=webhook_url, port=port, listen="127.0.0.1")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.0, help="seconds each engine turn takes")
    parser.add_argument("--stall", type=float, default=0.0, help="seconds a 'stall:<text>' turn takes")
    parser.add_argument("--lifted", action="store_true", help="no overall/group rate limit")
    parser.add_argument("--webhook-url")
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = ScriptedEngine(settings.data_dir / "fake_engine.sqlite3", delay=args.delay, stall=args.stall)
    if args.webhook_url:
        configure_logging(settings)
        asyncio.run(serve_local_webhook(build_application(settings, engine), args.webhook_url, args.port))
        return 0
    if not args.lifted:
        return run_telegram(settings, engine=engine)
    configure_logging(settings)
    limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)
    asyncio.run(serve(build_application(settings, engine, rate_limiter=limiter)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
