"""Serving: long polling or a webhook server, logging that never shows the token, run_telegram().

Error classes a caller of run_telegram sees, as exit codes:

    0  stopped by SIGINT / SIGTERM
    1  the engine could not be built, or the Bot API could not be reached at start-up
    2  bad usage: no TELEGRAM_BOT_TOKEN, --webhook-url without --port (or the reverse),
       a token the Bot API rejects
"""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import os
import signal
import sys

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.logs import protect
from bot.telegram import texts
from bot.telegram.app import build_application, normalize_base_url
from bot.telegram.webhook import WebhookServer, webhook_secret

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
POLL_TIMEOUT = 10.0


class RedactToken(logging.Filter):
    """Replaces the bot token in every record a handler emits (message, args and traceback)."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        return True


def configure_logging(settings) -> None:
    """INFO to stderr and $POLICYBOT_DATA_DIR/logs/telegram.log (0600, in a 0700 dir); the libraries'
    loggers held above the levels that carry user text or the token (bot/logs.py)."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not root.handlers:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(fmt)
        root.addHandler(stream)
    if not any(getattr(h, "_policybot_telegram", False) for h in root.handlers):
        log_dir = settings.data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for path in (settings.data_dir, log_dir):
            path.chmod(0o700)
        log_file = log_dir / "telegram.log"
        os.close(os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        log_file.chmod(0o600)
        file_handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
        file_handler.setFormatter(fmt)
        file_handler._policybot_telegram = True
        root.addHandler(file_handler)
    for handler in root.handlers:
        if not any(isinstance(f, RedactToken) for f in handler.filters):
            handler.addFilter(RedactToken(settings.telegram_bot_token))
    protect()  # PTB's DEBUG lines carry user text, httpx's INFO lines the token: floors at every level


async def start_application(app: Application) -> None:
    await app.initialize()
    if app.post_init:
        await app.post_init(app)


async def finish_application(app: Application) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)


async def serve_polling(
    app: Application,
    stop: asyncio.Event,
    *,
    poll_timeout: float = POLL_TIMEOUT,
    ready: asyncio.Event | None = None,
) -> None:
    """Long polling until `stop` is set; pending updates are finished before returning."""
    await start_application(app)
    try:
        await app.updater.start_polling(timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES)
        await app.start()
        log.info("polling for updates as @%s", app.bot.username)
        if ready is not None:
            ready.set()
        await stop.wait()
        log.info("stopping")
        await app.updater.stop()
    finally:
        await finish_application(app)


async def serve_webhook(
    app: Application,
    stop: asyncio.Event,
    *,
    webhook_url: str,
    port: int,
    listen: str = "0.0.0.0",
    ready: asyncio.Event | None = None,
) -> WebhookServer:
    """setWebhook(webhook_url) and serve it on listen:port until `stop` is set."""
    secret = webhook_secret(app.bot.token)
    server = WebhookServer(app, webhook_url, secret, listen, port)
    await start_application(app)
    try:
        await app.bot.set_webhook(url=webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
        await server.start()
        await app.start()
        if ready is not None:
            ready.set()
        await stop.wait()
        log.info("stopping")
        await server.stop()
    finally:
        await finish_application(app)
    return server


async def serve(app: Application, webhook_url: str | None = None, port: int | None = None) -> None:
    """Polling (or the webhook server) until SIGINT / SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if webhook_url is not None and port is not None:
        await serve_webhook(app, stop, webhook_url=webhook_url, port=port)
    else:
        await serve_polling(app, stop)


def run_telegram(settings, *, webhook_url: str | None = None, port: int | None = None, engine=None) -> int:
    """`policybot telegram`: polling by default, a webhook server with --webhook-url URL --port P."""
    if not settings.telegram_bot_token:
        print(texts.MISSING_TOKEN, file=sys.stderr)
        return 2
    if (webhook_url is None) != (port is None):
        print(texts.BAD_WEBHOOK_ARGS, file=sys.stderr)
        return 2
    os.umask(0o077)  # the data dir's files (logs, telegram.sqlite3, sessions) are private: 0600 / 0700
    configure_logging(settings)
    if engine is None:
        try:
            from bot.dialogue.assistant import build_assistant

            engine = build_assistant(settings)  # LLM mode when POLICYBOT_LLM_MODEL is set
        except Exception as exc:  # a missing index, a broken data dir: say so, no traceback
            print(texts.NO_ENGINE.format(error=f"{type(exc).__name__}: {exc}"), file=sys.stderr)
            return 1
    app = build_application(settings, engine)
    try:
        asyncio.run(serve(app, webhook_url, port))
    except InvalidToken:
        print(texts.INVALID_TOKEN, file=sys.stderr)
        return 2
    except NetworkError:
        url = normalize_base_url(settings.telegram_api_base_url) or "https://api.telegram.org/bot"
        print(texts.CANNOT_CONNECT.format(url=url), file=sys.stderr)
        return 1
    return 0
