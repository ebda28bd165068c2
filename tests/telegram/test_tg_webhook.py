"""Webhook mode: setWebhook with a secret, the fake pushes updates to our server, replies go back."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request

from bot.telegram.app import build_application
from bot.telegram.runner import serve_webhook
from bot.telegram.webhook import webhook_secret
from tests.telegram.tg_fake_engine import ASK_QUALS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: bytes, headers: dict[str, str], method: str = "POST") -> int:
    request = urllib.request.Request(url, data=body if method == "POST" else None, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


async def test_webhook_round_trip_and_rejections(fake_tg, tg_settings, engine):
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg/hook"
    app = build_application(tg_settings, engine)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve_webhook(app, stop, webhook_url=url, port=port, listen="127.0.0.1", ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), 15)
        secret = webhook_secret(fake_tg.token)
        assert fake_tg.webhook == {"url": url, "secret_token": secret, "allowed_updates": fake_tg.webhook["allowed_updates"]}
        assert "callback_query" in fake_tg.webhook["allowed_updates"]
        assert [c["command"] for c in fake_tg.commands][:3] == ["start", "help", "check"]

        fake_tg.user_says(40, "/check")
        await fake_tg.replies(40, 1)
        fake_tg.press(40, "企业")
        assert ASK_QUALS in (await fake_tg.replies(40, 2))[1]
        assert not fake_tg.calls_to("getUpdates")  # no polling in webhook mode

        update = json.dumps({"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 41, "type": "private"}, "text": "x"}}).encode()
        json_header = {"Content-Type": "application/json"}
        assert await asyncio.to_thread(post, url, update, json_header) == 403  # no secret
        assert await asyncio.to_thread(post, url, update, {**json_header, "X-Telegram-Bot-Api-Secret-Token": "guess"}) == 403
        good = {**json_header, "X-Telegram-Bot-Api-Secret-Token": secret}
        assert await asyncio.to_thread(post, url.replace("/tg/hook", "/other"), update, good) == 404
        assert await asyncio.to_thread(post, url, b"", good, "GET") == 405
        assert await asyncio.to_thread(post, url, b"{not json", good) == 400
        assert fake_tg.texts(41) == []
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
