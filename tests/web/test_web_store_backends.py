"""The web store on both backends (bot/web/store.py over bot/storage): everything the web keeps works
the same on SQLite and PostgreSQL, an old web.sqlite3 is adopted and migrated, and on PostgreSQL two
stores (two workers, on any machine) see one state: options, request ids, logins, lockouts,
the form-signing key."""

from __future__ import annotations

import sqlite3
import time

import pytest

from bot.dialogue.reply import Option, Reply
from bot.web.store import WebStore


@pytest.fixture(params=["sqlite", "postgres"])
def two_stores(request, tmp_path):
    """Two stores as two workers would open them (PostgreSQL: separate data dirs)."""
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        return (WebStore(tmp_path / "a" / "web.sqlite3", database_url=url),
                WebStore(tmp_path / "b" / "web.sqlite3", database_url=url))
    path = tmp_path / "web.sqlite3"
    return WebStore(path), WebStore(path)


def test_everything_the_web_keeps_is_shared(two_stores):
    a, b = two_stores
    reply = Reply(session="api-1", reply="请问贵单位属于哪一类？", choices=["企业", "高校"])
    a.set_last_options("api-1", [Option(id="org:enterprise", label="企业")], request_id="r-1", reply=reply)
    assert [o.id for o in b.last_options("api-1")] == ["org:enterprise"]
    assert b.answered("api-1", "r-1") == reply and b.answered("api-1", "r-0") is None
    a.set_last_options("api-1", [], request_id=None, reply=reply)
    assert b.answered("api-1", "r-1") is None  # only the last request is remembered

    assert [a.append_turn("chat-1", kind="text", text=f"第{i}句", reply=reply) for i in range(3)] == [1, 2, 3]
    assert b.append_turn("chat-1", kind="text", text="第3句", reply=reply) == 4
    assert b.set_draft("chat-1", 2, "改过的草稿") and not b.set_draft("chat-1", 99, "x")
    assert [(t.seq, t.draft) for t in a.turns("chat-1")][:2] == [(1, None), (2, "改过的草稿")]

    assert a.put_staff("wang", "$argon2id$hash") is True and b.put_staff("wang", "$argon2id$other") is False
    assert a.staff_hash("wang") == "$argon2id$other" and b.staff_names() == ["wang"]
    a.add_staff_session("tokhash", "wang", "csrf-1", time.time() + 60)
    assert b.staff_session("tokhash") == ("wang", "csrf-1")
    case = a.add_case("c1", "wang", "标题")
    b.append_turn(case.session, kind="message", text="客户的话", reply=reply)
    assert b.case_of("wang", "c1").title == "标题" and a.case_of("li", "c1") is None
    assert [c.id for c in b.cases_of("wang")] == ["c1"]

    # a lockout is counted once across workers: 2 failures here + 1 there lock the name
    assert a.record_failure("wang", max_failures=3, lockout_s=60)[0] == 1
    assert b.record_failure("wang", max_failures=3, lockout_s=60)[0] == 2
    failures, locked = a.record_failure("wang", max_failures=3, lockout_s=60)
    assert failures == 3 and b.locked_until("wang") == locked > time.time()

    assert b.remove_staff("wang") == (True, 1)
    assert a.staff_session("tokhash") is None and a.turns(case.session) == [] and a.cases_of("wang") == []
    b.forget_session("chat-1")
    assert a.turns("chat-1") == []


def test_the_form_signing_key_is_one_for_all_workers_on_postgres(pg_url, tmp_path):
    from bot.web.auth import load_secret

    a = WebStore(tmp_path / "a" / "web.sqlite3", database_url=pg_url)
    b = WebStore(tmp_path / "b" / "web.sqlite3", database_url=pg_url)
    key = load_secret(tmp_path / "a", a)
    assert len(key) == 32 and load_secret(tmp_path / "b", b) == key
    assert not (tmp_path / "a" / "web-secret.key").exists()  # nothing in a data dir


def test_purge_on_postgres_forgets_idle_chats_not_cases(pg_url, tmp_path):
    store = WebStore(tmp_path / "web.sqlite3", database_url=pg_url)
    r = Reply(session="s", reply="好")
    store.append_turn("chat-old", kind="text", text="旧", reply=r)
    store.set_last_options("api-old", [])
    store.append_turn("case-1", kind="message", text="案例", reply=r)
    assert store.purge_before(time.time() + 1) == 2
    assert store.turns("chat-old") == [] and store.last_options("api-old") is None
    assert len(store.turns("case-1")) == 1


def test_a_web_sqlite3_from_before_migrations_is_adopted(tmp_path):
    path = tmp_path / "web.sqlite3"
    conn = sqlite3.connect(path)  # the schema web.sqlite3 had, with a row in it
    conn.executescript(
        "CREATE TABLE last_options (session TEXT PRIMARY KEY, options TEXT NOT NULL, updated REAL NOT NULL);"
        "CREATE TABLE staff (name TEXT PRIMARY KEY, pw_hash TEXT NOT NULL, created REAL NOT NULL);"
        "INSERT INTO staff VALUES ('li', '$argon2id$h', 0);"
        "INSERT INTO last_options VALUES ('api-9', '[{\"id\": \"a\", \"label\": \"甲\"}]', 0);")
    conn.close()
    store = WebStore(path)
    assert store.staff_names() == ["li"] and [o.id for o in store.last_options("api-9")] == ["a"]
    store.set_last_options("api-9", [], request_id="r", reply=Reply(session="api-9", reply="好"))
    assert store.answered("api-9", "r").reply == "好"
    versions = sqlite3.connect(path).execute("SELECT version FROM schema_migrations WHERE component = 'web'")
    assert sorted(v for (v,) in versions) == [1, 2]
