"""Where state lives: SQLite files in the data dir (the default) or one PostgreSQL database.

    db = open_database(settings, "sessions", SESSION_MIGRATIONS, settings.sessions_db)
    rows = db.query("SELECT state FROM sessions WHERE id = ?", (sid,))
    db.write(("DELETE FROM sessions WHERE id = ?", (sid,)), ...)     # one transaction
    with db.serialized(sid) as tx:                                   # one key at a time, all processes
        tx.query(...); tx.write(...)
    db.compact()                                                     # make deletions physical (SQLite)
    if db.try_claim(key): ... db.release_claim(key)                  # not waited for; gone if the process dies

The session store (bot/dialogue/store.py), the Telegram store (bot/telegram/store.py) and the web
store (bot/web/store.py) are written once against this interface. On PostgreSQL a `serialized`
block is the thread's unit of work: every statement the thread runs on the same database inside
it, through any store, joins its transaction (nested blocks are savepoints), so a web turn and the
engine's save commit together; on SQLite each file commits on its own. backends: sqlite.py, postgres.py (psycopg imported only when
POLICYBOT_DATABASE_URL is set). Faults are the tree in errors.py. Schemas: migrations.py.
Retention: retention.py (`policybot purge`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from bot.storage.errors import (
    InvalidSessionId,
    StoreBusy,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreReadOnly,
    StoreUnavailable,
    validate_session_id,
)
from bot.storage.migrations import Migration

__all__ = [
    "Database", "InvalidSessionId", "Migration", "StoreBusy", "StoreCorrupt", "StoreError", "StoreFull",
    "StoreReadOnly", "StoreUnavailable", "open_database", "validate_session_id",
]

BUSY_TIMEOUT_S = 5.0  # how long a turn waits for a lock another writer holds, then answers unsaved


class Database(Protocol):
    kind: str

    def query(self, sql: str, args: Sequence = ()) -> list[tuple]: ...
    def write(self, *statements: tuple[str, Sequence]) -> list[list[tuple]]: ...
    def serialized(self, key: str): ...
    def try_claim(self, key: str) -> bool: ...
    def release_claim(self, key: str) -> None: ...
    def compact(self) -> None: ...
    def checkpoint(self) -> None: ...
    def close(self) -> None: ...


def open_database(
    database_url: str | None,
    component: str,
    migrations: Sequence[Migration],
    sqlite_path: Path,
    *,
    busy_timeout: float = BUSY_TIMEOUT_S,
) -> Database:
    """PostgreSQL when `database_url` is set, else the SQLite file `sqlite_path`. Opening never
    touches the disk or the network: the first query does (and raises StoreErrors)."""
    if database_url:
        from bot.storage.postgres import PostgresDatabase

        return PostgresDatabase(database_url, migrations, component=component, busy_timeout=busy_timeout)
    from bot.storage.sqlite import SqliteDatabase

    return SqliteDatabase(sqlite_path, migrations, component=component, busy_timeout=busy_timeout)
