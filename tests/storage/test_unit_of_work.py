"""One unit of work per thread on PostgreSQL (bot/storage/postgres.py): inside a `serialized` block,
whatever the thread stores on the same database, through any store, is one transaction. A web turn
(its web rows and the engine's session) commits as one or not at all, and a failing inner part
rolls back alone."""

from __future__ import annotations

import threading

import pytest

from bot.dialogue.reply import Option
from bot.dialogue.store import PostgresSessionStore
from bot.web.store import WebStore


@pytest.fixture
def stores(pg_url, tmp_path):
    return WebStore(tmp_path / "unused.sqlite3", database_url=pg_url), PostgresSessionStore(pg_url)


def saved_state(sessions: PostgresSessionStore, sid: str) -> dict | None:
    with sessions.session(sid) as handle:
        state = handle.state
        handle.state = None
    return state


class Boom(Exception):
    pass


def test_a_failure_after_the_engine_saved_takes_the_engine_state_back_too(stores):
    web, sessions = stores
    with web.locked("api-1"):  # a turn that completes
        with sessions.session("api-1") as handle:
            handle.state = {"turns": 1}
        web.set_last_options("api-1", [Option(id="a", label="甲")])
    with pytest.raises(Boom):
        with web.locked("api-1"):  # the engine saves, then the web part fails: nothing of it stays
            with sessions.session("api-1") as handle:
                handle.state = {"turns": 2}
            web.set_last_options("api-1", [Option(id="b", label="乙")])
            raise Boom
    assert saved_state(sessions, "api-1") == {"turns": 1}
    assert [o.id for o in web.last_options("api-1")] == ["a"]


def test_a_failing_inner_part_rolls_back_alone(stores):
    """The engine answers a store fault unsaved and the turn goes on: the fault (here a statement
    the server rejects) must not abort the rest of the turn's transaction."""
    from bot.storage import StoreError

    web, sessions = stores
    with web.locked("api-2"):
        with pytest.raises(StoreError):
            with sessions.db.serialized("api-2") as tx:  # a savepoint
                tx.write(("INSERT INTO sessions (id, state, updated) VALUES ('api-2', '{}', 0)", ()))
                tx.query("SELECT no_such_column FROM sessions")
        web.set_last_options("api-2", [Option(id="c", label="丙")])
    assert saved_state(sessions, "api-2") is None
    assert [o.id for o in web.last_options("api-2")] == ["c"]


def test_one_connection_per_turn_and_other_threads_are_not_joined(stores, pg_url):
    web, sessions = stores
    seen = {}
    with web.locked("api-3"):
        with sessions.session("api-3") as handle:
            handle.state = {"turns": 1}
            import psycopg

            with psycopg.connect(pg_url) as other:  # outside: not committed yet
                seen["outside"] = other.execute("SELECT count(*) FROM sessions WHERE id = 'api-3'").fetchone()[0]

        def elsewhere():  # another thread is not part of this unit of work
            seen["thread"] = sessions.exists("api-3")

        t = threading.Thread(target=elsewhere)
        t.start()
        t.join()
    assert seen == {"outside": 0, "thread": False}
    assert saved_state(sessions, "api-3") == {"turns": 1}
