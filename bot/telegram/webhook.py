"""A small asyncio HTTP server that receives Telegram webhook POSTs (stdlib only; PTB's own
webhook server needs tornado, which this project does not install). One process: `policybot
telegram --webhook-url URL --port P`. Several workers behind one URL: the same route as an ASGI
app inside `policybot serve --workers N` (asgi.py); both decide with `receive_update`.

    POST <path of --webhook-url>, header X-Telegram-Bot-Api-Secret-Token: <secret>, body: an Update
    -> 200 once the update is queued for the Application (with inbox.InboxQueue: once it is in the
       inbox on disk, so Telegram stops resending only what a kill -9 cannot lose);
       wrong path 404, wrong method 405, wrong/missing secret 403, bad JSON 400, body over 1 MB 413.

The secret is derived from the bot token (sha256), so it survives restarts without being stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from urllib.parse import urlparse

from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large"}


def webhook_secret(token: str) -> str:
    return hashlib.sha256(b"policybot-webhook:" + token.encode()).hexdigest()[:48]


async def receive_update(app: Application, secret: str, method: str, given_secret: str, body: bytes) -> int:
    """The HTTP status for one webhook call; 200 once the update is queued (with inbox.InboxQueue:
    once it is in the inbox of the shared store, so a kill -9 cannot lose it)."""
    if method != "POST":
        return 405
    if not hmac.compare_digest(given_secret.encode(), secret.encode()):
        log.warning("webhook call without the right secret token rejected")
        return 403
    if len(body) > MAX_BODY:
        return 413
    try:
        update = Update.de_json(json.loads(body), app.bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        return 400
    if update is None:
        return 400
    await app.update_queue.put(update)
    return 200


class WebhookServer:
    def __init__(self, app: Application, webhook_url: str, secret: str, listen: str, port: int):
        self.app = app
        self.path = urlparse(webhook_url).path or "/"
        self.secret = secret
        self.listen = listen
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.listen, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("webhook server listening on %s:%s%s", self.listen, self.port, self.path)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await asyncio.wait_for(reader.readline(), timeout=75)
                if not line:
                    break
                method, target, *_ = line.decode("latin-1").split() + ["", ""]
                headers: dict[str, str] = {}
                while len(headers) < 100:
                    raw = await asyncio.wait_for(reader.readline(), timeout=30)
                    if raw in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = raw.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length > MAX_BODY:
                    await self._respond(writer, 413, close=True)
                    break
                body = await reader.readexactly(length) if length else b""
                status = await self._route(method, target, headers, body)
                close = headers.get("connection", "").lower() == "close"
                await self._respond(writer, status, close=close)
                if close:
                    break
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def _route(self, method: str, target: str, headers: dict[str, str], body: bytes) -> int:
        if urlparse(target).path != self.path:
            return 404
        return await receive_update(self.app, self.secret, method, headers.get("x-telegram-bot-api-secret-token", ""),
                                    body)

    @staticmethod
    async def _respond(writer: asyncio.StreamWriter, status: int, close: bool) -> None:
        body = json.dumps({"ok": status == 200}).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: {'close' if close else 'keep-alive'}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
