"""The Telegram webhook as an ASGI app, for several worker processes behind one URL.

PTB's `run_webhook` has no workers (a second process calls setWebhook again and keeps its own
memory), so each worker of `policybot serve --workers N` runs its own PTB Application without an
Updater and receives updates through this route; everything the workers must agree on is in the
shared store (store.py on POLICYBOT_DATABASE_URL): the inbox, processed and claimed update ids,
live prompts. The same update posted to two workers is answered once (claims); a chat's updates
are answered in order whichever worker got them (wait_for_older); different chats run in parallel.

    hook = TelegramWebhook(settings, assistant, webhook_url)    # settings.telegram_webhook_url
    async with hook.running():          # initialize, replay the inbox, setWebhook, start processing
        ...                             # serve `hook` (an ASGI callable) at hook.path
    # POST hook.path with X-Telegram-Bot-Api-Secret-Token -> 200 once the update is in the inbox;
    # wrong method 405, wrong/missing secret 403, bad JSON 400, body over 1 MB 413 (webhook.py)

No web framework here: the composition root (bot/serve.py) mounts it beside the web front end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlparse

from telegram.error import InvalidToken, TelegramError

from bot.telegram import texts
from bot.telegram.app import build_application, normalize_base_url
from bot.telegram.runner import ALLOWED_UPDATES, RedactToken, finish_application, start_application
from bot.telegram.webhook import MAX_BODY, receive_update, webhook_secret

log = logging.getLogger(__name__)
RETRY_S = 60.0  # the longest wait between two attempts to reach the Bot API at start-up


class TelegramWebhook:
    def __init__(self, settings, engine, webhook_url: str, **build_kwargs):
        self.url = webhook_url
        self.path = urlparse(webhook_url).path or "/"
        self.application = build_application(settings, engine, **build_kwargs)
        self.secret = webhook_secret(settings.telegram_bot_token)
        self._token = settings.telegram_bot_token
        self._base_url = settings.telegram_api_base_url
        self._started = False  # initialized (getMe done, inbox replayed)
        self._live = False  # setWebhook done and updates being processed

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The worker's Application from start-up to shutdown (a lifespan). The Bot API is reached in
        the background: while it cannot be (network down, Telegram unreachable) the web front end
        serves as usual and this route answers 503, which Telegram retries; a token Telegram rejects
        is logged once and the route stays closed."""
        root = logging.getLogger()
        for handler in root.handlers:  # the token never reaches a log line
            if not any(isinstance(f, RedactToken) for f in handler.filters):
                handler.addFilter(RedactToken(self._token))
        starting = asyncio.create_task(self._start(), name="policybot-telegram-start")
        try:
            yield
        finally:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            self._live = False
            if self._started:
                await finish_application(self.application)

    async def _start(self, retry_s: float = RETRY_S) -> None:
        app = self.application
        delay = 1.0
        while True:
            try:
                if not self._started:
                    await start_application(app)  # post_init replays what a killed worker left in the inbox
                    self._started = True
                await app.bot.set_webhook(url=self.url, secret_token=self.secret, allowed_updates=ALLOWED_UPDATES)
                await app.start()
                self._live = True
                log.info("telegram webhook at %s in this worker", self.path)
                return
            except InvalidToken:
                log.error("%s", texts.INVALID_TOKEN)
                return
            except TelegramError as exc:  # the network, or Telegram, for now: try again
                base = normalize_base_url(self._base_url) or "https://api.telegram.org/bot"
                log.warning("%s (%s; retrying in %.0f s)", texts.CANNOT_CONNECT.format(url=base), type(exc).__name__,
                            delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, retry_s)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body, too_big = bytearray(), False
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            if not too_big:
                body += message.get("body", b"")
                too_big = len(body) > MAX_BODY
            if not message.get("more_body"):
                break
        if not self._live:
            status = 503  # not connected to the Bot API yet, or stopping: Telegram sends it again later
        elif too_big:
            status = 413
        else:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            status = await receive_update(self.application, self.secret, scope.get("method", ""),
                                          headers.get("x-telegram-bot-api-secret-token", ""), bytes(body))
        payload = json.dumps({"ok": status == 200}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})
