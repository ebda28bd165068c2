"""The durable inbox (bot/telegram/inbox.py): an update Telegram will not send again survives a kill -9.

The kill tests run tests/telegram/tg_run_bot.py as a process whose "stall:<text>" turn takes 30 s,
kill it while the turn runs (after the offset was confirmed, or the webhook POST answered 200), and
restart it without the stall: the update comes back from telegram.sqlite3's inbox.
"""

from __future__ import annotations

import json
import socket

import pytest

from bot.telegram.app import bot_id_from_token
from bot.telegram.store import TelegramStore
from tests.telegram.tg_harness import polling_started, running_bot

RUNNER = "tests/telegram/tg_run_bot.py"


def inbox_of(settings, token: str) -> list[int]:
    store = TelegramStore(settings.data_dir / "telegram.sqlite3", bot_id=bot_id_from_token(token))
    try:
        return store.inbox_ids()
    finally:
        store.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_kill_9_mid_turn_after_telegram_forgot_the_update_answers_it_once(fake_tg, tg_settings, bot_process, mode):
    args = [RUNNER]
    if mode == "webhook":
        port = free_port()
        args += ["--webhook-url", f"http://127.0.0.1:{port}/hook", "--port", str(port)]
    first = bot_process([*args, "--stall", "30"], tg_settings)
    if mode == "polling":
        await polling_started(fake_tg, first, after=0)
    said = fake_tg.user_says(32, "stall:早上好")
    await fake_tg.until(lambda: "scripted engine: stalling" in first.log(), timeout=20, what="the turn to start")
    await fake_tg.until(lambda: fake_tg.confirmed(said["update_id"]), what="Telegram to drop the update")
    first.kill()  # mid-turn: nothing answered, nothing marked processed
    assert fake_tg.texts(32) == [] and not fake_tg._pending  # and Telegram will not send it again
    assert inbox_of(tg_settings, fake_tg.token) == [said["update_id"]]

    polls = len(fake_tg.calls_to("getUpdates"))
    second = bot_process(args, tg_settings)
    if mode == "polling":
        await polling_started(fake_tg, second, after=polls)
    assert await fake_tg.replies(32, 1, timeout=20) == ["早上好"]
    fake_tg.user_says(32, "echo:然后")  # anything still queued for the chat would come before this
    assert await fake_tg.replies(32, 2) == ["早上好", "然后"]
    assert second.stop() == 0
    assert fake_tg.texts(32) == ["早上好", "然后"]  # answered exactly once
    assert inbox_of(tg_settings, fake_tg.token) == []


async def test_replayed_update_also_redelivered_by_telegram_is_answered_once(fake_tg, tg_settings, engine):
    """A run killed before its getUpdates confirmed the batch: the update is in the inbox and
    Telegram sends it again; the next run answers it once."""
    said = fake_tg.user_says(33, "echo:一次")  # pending at Telegram (never confirmed)
    store = TelegramStore(tg_settings.data_dir / "telegram.sqlite3", bot_id=bot_id_from_token(fake_tg.token))
    store.inbox_add(said["update_id"], 33, json.dumps(said))  # what the killed run had stored
    store.close()
    async with running_bot(tg_settings, engine) as app:
        assert await fake_tg.replies(33, 1) == ["一次"]
        fake_tg.redeliver(said["update_id"])  # and once more, after it was processed
        fake_tg.user_says(33, "echo:二次")
        assert await fake_tg.replies(33, 2) == ["一次", "二次"]
        assert engine.turns_of("tg-33") == [("echo:一次", None), ("echo:二次", None)]
        # the row goes once the reply is out (store.py mark_processed), just after the reply arrives
        store = app.bot_data["front_end"].store
        await fake_tg.until(lambda: store.inbox_ids() == [], what="an empty inbox")


async def test_inbox_is_empty_after_normal_processing_and_keeps_no_user_text(fake_tg, bot, tg_settings):
    store = bot.bot_data["front_end"].store
    for chat in (34, 35):
        fake_tg.user_says(chat, "/check")
        fake_tg.user_sends(chat, "contact")
    fake_tg.user_says(35, "echo:哨兵公司研发投入8765万")
    no_chat = fake_tg.inline_query(36, "高企")  # no handler, no chat: still taken out of the inbox
    await fake_tg.replies(34, 2)
    await fake_tg.replies(35, 3)
    fake_tg.press(34, "企业")
    await fake_tg.replies(34, 3)
    await fake_tg.until(lambda: store.is_processed(no_chat["update_id"]), what="the update without a chat")
    await fake_tg.until(lambda: store.inbox_ids() == [], what="an empty inbox")

    def held(needle: bytes) -> list[str]:
        return [p.name for p in tg_settings.data_dir.rglob("*") if p.is_file() and needle in p.read_bytes()]

    # the drained inbox truncated the WAL: no old page image of those updates is left on disk
    await fake_tg.until(lambda: held("哨兵".encode()) == [] and held(b"13900001234") == [], what="no user text on disk")
