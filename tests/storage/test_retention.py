"""Retention (issue 12): sessions, Telegram rows and corrupt copies older than
POLICYBOT_RETENTION_DAYS go with `policybot purge` (and sessions by themselves), on both backends;
nothing of a purged session is left in the data dir's bytes."""

from __future__ import annotations

import json
import os
import sqlite3
import time

import pytest

from bot.config import Settings
from bot.dialogue.reply import Reply
from bot.dialogue.store import PostgresSessionStore, SqliteSessionStore
from bot.retention import purge
from bot.telegram.store import Prompt, TelegramStore
from bot.web.store import WebStore
from tests.storage.conftest import cli_env, run_cli

OLD = time.time() - 40 * 86_400


def age_rows(settings: Settings) -> None:
    """Make the 'old-*' session and chat 1's Telegram rows 40 days old."""
    statements = [
        ("UPDATE sessions SET updated = ? WHERE id = 'old-1'", (OLD,)),
        ("UPDATE prompts SET updated = ? WHERE chat_id = 1", (OLD,)),
        ("UPDATE inbox SET received = ? WHERE chat_id = 1", (OLD,)),
        ("UPDATE processed SET at = ? WHERE update_id = 1", (OLD,)),
        ("UPDATE turns SET created = ? WHERE session = 'chat-old'", (OLD,)),
        ("UPDATE last_options SET updated = ? WHERE session IN ('chat-old', 'case-old')", (OLD,)),
    ]
    if settings.database_url:
        import psycopg

        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            for sql, args in statements:
                conn.execute(sql.replace("?", "%s"), args)
        return
    tables = {settings.sessions_db: ("sessions",), settings.telegram_db: ("prompts", "inbox", "processed"),
              settings.web_db: ("turns", "last_options")}
    for db, names in tables.items():
        conn = sqlite3.connect(db)
        for sql, args in statements:
            if sql.split()[1] in names:
                conn.execute(sql, args)
        conn.commit()
        conn.close()


def fill(settings: Settings) -> None:
    sessions = (PostgresSessionStore(settings.database_url) if settings.database_url
                else SqliteSessionStore(settings.sessions_db))
    for sid, name in (("old-1", "哨兵旧公司"), ("new-1", "新公司")):
        with sessions.session(sid) as handle:
            handle.state = {"company": name}
    tg = TelegramStore.for_settings(settings, bot_id=7)
    tg.save_prompt(1, Prompt("t", 1, ["哨兵旧问题？"], []))
    tg.save_prompt(2, Prompt("t", 1, ["新问题？"], []))
    tg.inbox_add(5, 1, json.dumps({"text": "哨兵旧消息"}, ensure_ascii=False))
    tg.mark_processed(1)
    tg.close()
    web = WebStore.for_settings(settings)
    reply = Reply(session="s", reply="好的")
    for session, text in (("chat-old", "哨兵旧聊天公司"), ("chat-new", "新聊天"), ("case-old", "旧案例")):
        web.append_turn(session, kind="text", text=text, reply=reply)
        web.set_last_options(session, [])


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request, tmp_path) -> Settings:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return Settings(POLICYBOT_DATA_DIR=tmp_path / "data", POLICYBOT_DATABASE_URL=url)


def test_purge_deletes_what_is_older_than_the_retention_period(settings):
    fill(settings)
    age_rows(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    corrupt = settings.data_dir / "sessions.sqlite3.corrupt-20200101-000000"
    corrupt.write_bytes(b"old copy")
    os.utime(corrupt, (OLD, OLD))
    report = purge(settings)
    assert report["sessions"] == 1 and report["corrupt_copies"] == 1
    assert report["telegram"]["prompts"] == 1 and report["telegram"]["inbox"] == 1
    assert report["telegram"]["processed"] == 1
    assert report["web"] == 1  # the idle chat; a copilot case is a staff record and stays
    web = WebStore.for_settings(settings)
    assert web.turns("chat-old") == [] and web.last_options("chat-old") is None
    assert len(web.turns("chat-new")) == 1 and len(web.turns("case-old")) == 1
    sessions = (PostgresSessionStore(settings.database_url) if settings.database_url
                else SqliteSessionStore(settings.sessions_db))
    assert not sessions.exists("old-1") and sessions.exists("new-1")
    tg = TelegramStore.for_settings(settings, bot_id=7)
    assert tg.get_prompt(1) is None and tg.get_prompt(2) is not None and tg.inbox_ids() == []
    tg.close()
    assert not corrupt.exists()
    if not settings.database_url:  # SQLite: the bytes are gone too, not just the rows
        for path in settings.data_dir.iterdir():
            if path.is_file():
                assert "哨兵".encode() not in path.read_bytes(), path


def test_policybot_purge_command(tmp_path):
    data = tmp_path / "data"
    settings = Settings(POLICYBOT_DATA_DIR=data)
    fill(settings)
    age_rows(settings)
    proc = run_cli(["purge", "--json"], cli_env(data))
    assert proc.returncode == 0, proc.stderr
    first = json.loads(proc.stdout)
    assert first["sessions"] == 1 and first["web"] == 1
    proc = run_cli(["purge"], cli_env(data, POLICYBOT_RETENTION_DAYS="0.000001"))
    assert proc.returncode == 0 and "会话 1 个" in proc.stdout and "网页对话 1 个" in proc.stdout, proc.stdout + proc.stderr
    assert run_cli(["purge", "--days", "-1"], cli_env(data)).returncode == 2


def test_the_session_store_purges_expired_sessions_by_itself(tmp_path):
    db = tmp_path / "s.sqlite3"
    store = SqliteSessionStore(db, retention_days=30)
    store._next_purge = time.monotonic() + 3600  # not on the first turn of this test
    with store.session("old-1") as handle:
        handle.state = {"n": 1}
    conn = sqlite3.connect(db)
    conn.execute("UPDATE sessions SET updated = ?", (OLD,))
    conn.commit()
    conn.close()
    store._next_purge = 0.0
    with store.session("new-1") as handle:
        handle.state = {"n": 2}
    deadline = time.monotonic() + 10
    while store.exists("old-1") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not store.exists("old-1") and store.exists("new-1")
