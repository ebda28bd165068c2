"""Session store: one JSON document per session, one serialized load-and-save per turn.

    store = open_session_store(settings)       # SQLite in the data dir, or PostgreSQL (POLICYBOT_DATABASE_URL)
    with store.session("s-1") as handle:       # turns of one session run one after the other,
        handle.state = {...}                   #   across threads, processes and (PostgreSQL) machines
    store.delete("s-1"); store.exists("s-1"); store.purge(older_than=time.time() - 30 * 86400)

With retention_days (open_session_store passes POLICYBOT_RETENTION_DAYS) expired sessions are also
purged by the store itself, at most once an hour per process, in a background thread.

Both backends share this code over bot.storage's Database (query / write / serialized); the SQL is
the same. `state` is saved when the block exits cleanly; an exception in the block saves nothing.

Errors (bot/storage/errors.py; the engine catches StoreError and answers unsaved):

    StoreError
    ├── InvalidSessionId    (also ValueError) empty, longer than 128, or other characters
    ├── StoreBusy           locked by another writer past the busy timeout; nothing changed
    ├── StoreUnavailable    disk full (StoreFull), read-only (StoreReadOnly), server down; nothing changed
    └── StoreCorrupt        failed an integrity check: moved aside, a fresh file started
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from bot.storage import BUSY_TIMEOUT_S, Database, Migration, open_database
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

__all__ = [
    "DatabaseSessionStore", "InvalidSessionId", "MemorySessionStore", "PostgresSessionStore", "SessionHandle",
    "SessionStore", "SqliteSessionStore", "StoreBusy", "StoreCorrupt", "StoreError", "StoreFull",
    "StoreReadOnly", "StoreUnavailable", "open_session_store", "validate_session_id",
]

log = logging.getLogger(__name__)

MIGRATIONS = (
    Migration(
        1,
        sqlite=("CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL)",),
        postgres=(
            "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL, "
            "updated DOUBLE PRECISION NOT NULL)",
        ),
    ),
    Migration(
        2,  # retention: purge finds expired sessions without a full scan
        sqlite=("CREATE INDEX IF NOT EXISTS sessions_updated ON sessions (updated)",),
        postgres=("CREATE INDEX IF NOT EXISTS sessions_updated ON sessions (updated)",),
    ),
)


class SessionStore(Protocol):
    def session(self, session_id: str) -> AbstractContextManager[SessionHandle]: ...
    def delete(self, session_id: str) -> None: ...
    def exists(self, session_id: str) -> bool: ...


class SessionHandle:
    """The state of one session inside a turn; `state` is saved when the block exits cleanly."""

    def __init__(self, state: dict | None):
        self.state: dict | None = state
        self.is_new = state is None


def _decode(session_id: str, raw: str) -> dict | None:
    try:
        state = json.loads(raw)
        if isinstance(state, dict):
            return state
    except json.JSONDecodeError:
        pass
    log.error("session %s: stored state unreadable; starting it afresh", session_id)
    return None


class DatabaseSessionStore:
    """The store over a bot.storage Database (either backend)."""

    PURGE_EVERY_S = 3600.0

    def __init__(self, db: Database, *, retention_days: float | None = None):
        self.db = db
        self.retention_days = retention_days
        self._next_purge = 0.0
        self._purge_guard = threading.Lock()

    @property
    def backend(self) -> str:
        return self.db.kind

    @contextmanager
    def session(self, session_id: str) -> Iterator[SessionHandle]:
        validate_session_id(session_id)
        with self.db.serialized(session_id) as tx:
            rows = tx.query("SELECT state FROM sessions WHERE id = ?", (session_id,))
            handle = SessionHandle(_decode(session_id, rows[0][0]) if rows else None)
            yield handle
            if handle.state is not None:
                tx.write((
                    "INSERT INTO sessions (id, state, updated) VALUES (?, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated = excluded.updated",
                    (session_id, json.dumps(handle.state, ensure_ascii=False), time.time()),
                ))
        self._maybe_purge()

    def _maybe_purge(self) -> None:
        """Expired sessions go by themselves: at most once an hour per process, in the background."""
        if not self.retention_days or time.monotonic() < self._next_purge:
            return
        with self._purge_guard:
            if time.monotonic() < self._next_purge:
                return
            self._next_purge = time.monotonic() + self.PURGE_EVERY_S

        def run() -> None:
            try:
                removed = self.purge(time.time() - self.retention_days * 86_400)
                if removed:
                    log.info("retention: %d session(s) older than %g days deleted", removed, self.retention_days)
            except StoreError as exc:
                log.warning("retention purge failed: %s", exc)

        threading.Thread(target=run, name="policybot-retention", daemon=True).start()

    def exists(self, session_id: str) -> bool:
        validate_session_id(session_id)
        return bool(self.db.query("SELECT 1 FROM sessions WHERE id = ?", (session_id,)))

    def delete(self, session_id: str) -> None:
        """Every trace gone: the row, and (SQLite) its bytes in the WAL and free pages."""
        validate_session_id(session_id)
        with self.db.serialized(session_id) as tx:
            tx.write(("DELETE FROM sessions WHERE id = ?", (session_id,)))
        self.db.compact()

    def purge(self, older_than: float) -> int:
        """Delete sessions last used before `older_than` (epoch seconds); how many."""
        (rows,) = self.db.write(("DELETE FROM sessions WHERE updated < ? RETURNING id", (older_than,)))
        if rows:
            self.db.compact()
        return len(rows)

    def count(self) -> int:
        return self.db.query("SELECT count(*) FROM sessions")[0][0]


class SqliteSessionStore(DatabaseSessionStore):
    """sessions.sqlite3 in the data dir: thread- and process-safe on one machine."""

    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_S, retention_days: float | None = None):
        self.path = Path(path)
        super().__init__(open_database(None, "sessions", MIGRATIONS, self.path, busy_timeout=busy_timeout),
                         retention_days=retention_days)


class PostgresSessionStore(DatabaseSessionStore):
    """One PostgreSQL database shared by every worker, on any machine."""

    def __init__(self, url: str, *, busy_timeout: float = BUSY_TIMEOUT_S, retention_days: float | None = None):
        super().__init__(open_database(url, "sessions", MIGRATIONS, Path(), busy_timeout=busy_timeout),
                         retention_days=retention_days)


def open_session_store(settings) -> DatabaseSessionStore:
    """PostgreSQL when settings.database_url is set, else sessions.sqlite3 in the data dir."""
    timeout = getattr(settings, "store_busy_timeout_s", BUSY_TIMEOUT_S)
    days = getattr(settings, "retention_days", None)
    if settings.database_url:
        return PostgresSessionStore(settings.database_url, busy_timeout=timeout, retention_days=days)
    return SqliteSessionStore(settings.sessions_db, busy_timeout=timeout, retention_days=days)


class MemorySessionStore:
    """For tests and throw-away sessions."""

    backend = "memory"

    def __init__(self):
        self._data: dict[str, str] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def session(self, session_id: str) -> Iterator[SessionHandle]:
        validate_session_id(session_id)
        with self._guard:
            lock = self._locks.setdefault(session_id, threading.Lock())
        with lock:
            raw = self._data.get(session_id)
            handle = SessionHandle(json.loads(raw) if raw else None)
            yield handle
            if handle.state is not None:
                self._data[session_id] = json.dumps(handle.state, ensure_ascii=False)

    def exists(self, session_id: str) -> bool:
        return session_id in self._data

    def delete(self, session_id: str) -> None:
        self._data.pop(session_id, None)
        self._locks.pop(session_id, None)
