"""Several webhook workers behind one URL (issue 12, BAD_INPUTS 13 and 35): the same update posted
to two workers at once is answered once, and a chat's updates are answered in order, whichever
worker got them. On PostgreSQL (each worker with its own data dir: all they share is the database)
and on SQLite (two workers on one data dir)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import pytest

from bot.config import Settings
from bot.telegram.webhook import webhook_secret
from tests.telegram.test_tg_webhook import free_port, post

RUNNER = "tests/telegram/tg_run_bot.py"
CHATS, MESSAGES = 5, 4


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def update(update_id: int, chat: int, text: str) -> bytes:
    return json.dumps({"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "u"}, "text": text}}, ensure_ascii=False).encode()


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
async def test_the_same_update_given_to_two_workers_is_answered_once(fake_tg, tmp_path, bot_process, request, backend):
    url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    ports = [free_port(), free_port()]
    workers = []
    for k, port in enumerate(ports):
        data_dir = tmp_path / (f"w{k}" if url else "shared")
        settings = Settings(POLICYBOT_DATA_DIR=data_dir, TELEGRAM_BOT_TOKEN=fake_tg.token,
                            TELEGRAM_API_BASE_URL=fake_tg.base_url, POLICYBOT_DATABASE_URL=url)
        workers.append(bot_process([RUNNER, "--webhook-url", f"http://127.0.0.1:{port}/hook", "--port", str(port)],
                                   settings))
    await fake_tg.until(lambda: all(listening(p) for p in ports), timeout=90, what="both webhook workers")  # two index builds on 2 busy cores
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": webhook_secret(fake_tg.token)}

    def deliver_to_both(body: bytes) -> list[int]:
        statuses: list[int] = []
        threads = [threading.Thread(target=lambda p=p: statuses.append(post(f"http://127.0.0.1:{p}/hook", body, headers)))
                   for p in ports]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return statuses

    next_id = 50_000
    for n in range(MESSAGES):
        for chat in range(1, CHATS + 1):
            next_id += 1
            statuses = await asyncio.to_thread(deliver_to_both, update(next_id, 700 + chat, f"echo:{chat}-{n}"))
            assert statuses == [200, 200]
    expected = {700 + c: [f"{c}-{n}" for n in range(MESSAGES)] for c in range(1, CHATS + 1)}
    await fake_tg.until(lambda: all(len(fake_tg.texts(c)) >= MESSAGES for c in expected), timeout=30,
                        what="every update answered")
    await asyncio.sleep(1.5)  # time for a duplicate answer to show up
    for chat, texts in expected.items():
        assert fake_tg.texts(chat) == texts, chat  # each once, in the order sent
    for worker in workers:
        assert worker.stop() == 0
    logs = "".join(w.log() for w in workers)
    assert "claimed by another worker" in logs  # both really got every update


async def test_kill_9_mid_turn_then_another_worker_on_the_database_answers_it_once(fake_tg, tmp_path, bot_process, pg_url):
    from bot.telegram.app import bot_id_from_token
    from bot.telegram.store import TelegramStore
    from tests.telegram.tg_harness import polling_started

    def settings(name: str) -> Settings:  # separate data dirs: the inbox is in PostgreSQL only
        return Settings(POLICYBOT_DATA_DIR=tmp_path / name, TELEGRAM_BOT_TOKEN=fake_tg.token,
                        TELEGRAM_API_BASE_URL=fake_tg.base_url, POLICYBOT_DATABASE_URL=pg_url)

    first = bot_process([RUNNER, "--stall", "30"], settings("first"))
    await polling_started(fake_tg, first, after=0)
    said = fake_tg.user_says(33, "stall:晚上好")
    await fake_tg.until(lambda: "scripted engine: stalling" in first.log(), timeout=20, what="the turn to start")
    await fake_tg.until(lambda: fake_tg.confirmed(said["update_id"]), what="Telegram to drop the update")
    first.kill()
    store = TelegramStore(tmp_path / "unused.sqlite3", bot_id_from_token(fake_tg.token), database_url=pg_url)
    assert store.inbox_ids() == [said["update_id"]]
    store.close()

    polls = len(fake_tg.calls_to("getUpdates"))
    second = bot_process([RUNNER], settings("second"))
    await polling_started(fake_tg, second, after=polls)
    assert await fake_tg.replies(33, 1, timeout=20) == ["晚上好"]
    fake_tg.user_says(33, "echo:然后")
    assert await fake_tg.replies(33, 2) == ["晚上好", "然后"]
    assert second.stop() == 0
    assert fake_tg.texts(33) == ["晚上好", "然后"]
