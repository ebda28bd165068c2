"""The Telegram bot: a thin front end over bot.dialogue (modules in bot/telegram/).

Usage:
    policybot telegram                                   # long polling
    policybot telegram --webhook-url URL --port P        # webhook server on 0.0.0.0:P, path of URL (one process)
    POLICYBOT_TELEGRAM_WEBHOOK_URL=URL policybot serve --workers N   # the webhook in every web worker
    python -m bot.telegram_app [--webhook-url URL --port P]

Environment (read by bot.config.Settings): TELEGRAM_BOT_TOKEN (required), TELEGRAM_API_BASE_URL
(e.g. http://127.0.0.1:8081/bot for a local Bot API server; the file URL is derived from it),
POLICYBOT_DATA_DIR (sessions, telegram.sqlite3, logs/telegram.log).

Commands: /start /help /check /articles /article N /reset /delete. The behaviours for edited
messages, groups, stale buttons, non-text messages and errors are listed in bot/telegram/app.py.
"""

from __future__ import annotations

import argparse
import sys

from bot.telegram.app import build_application
from bot.telegram.runner import run_telegram

__all__ = ["build_application", "run_telegram", "main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.telegram_app", description="policybot Telegram bot")
    parser.add_argument("--webhook-url", default=None, help="public HTTPS URL Telegram posts updates to")
    parser.add_argument("--port", type=int, default=None, help="local port of the webhook server")
    args = parser.parse_args(argv)
    from bot.config import load_settings

    return run_telegram(load_settings(), webhook_url=args.webhook_url, port=args.port)


if __name__ == "__main__":
    sys.exit(main())
