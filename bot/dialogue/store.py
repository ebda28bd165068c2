"""Session store: one JSON document per session in SQLite (WAL), one transaction per turn.

The interface is deliberately narrow (load / save / delete inside `session()`), so a Redis or
Postgres store can replace it for several workers.

Errors:
    StoreError            the database could not be used; the engine answers anyway
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class StoreError(Exception):
    pass


class SessionStore(Protocol):
    def session(self, session_id: str) -> AbstractContextManager[SessionHandle]: ...
    def delete(self, session_id: str) -> None: ...
    def exists(self, session_id: str) -> bool: ...


class SessionHandle:
    """The state of one session inside a turn; `state` is saved when the block exits cleanly."""

    def __init__(self, state: dict | None):
        self.state: dict | None = state
        self.is_new = state is None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    updated REAL NOT NULL
);
"""


class _ProcessLocks:
    """Per-session locks across processes: one byte of a lock file per session (hashed).

    Two `policybot ask --session S` processes, or a terminal and a Telegram runner on one data
    dir, would otherwise both load S, and the later save would drop the other's turn. POSIX
    record locks belong to the process, so the in-process thread lock is taken first; a hash
    collision only makes two sessions wait for each other for one turn. Where fcntl is missing
    (Windows) there is no cross-process lock.
    """

    SLOTS = 1 << 24

    def __init__(self, path: Path) -> None:
        try:
            import fcntl

            self._fcntl = fcntl
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except (ImportError, OSError):  # no fcntl, or a read-only directory: in-process locks only
            self._fcntl = None

    @contextmanager
    def hold(self, session_id: str) -> Iterator[None]:
        if self._fcntl is None:
            yield
            return
        digest = hashlib.blake2b(session_id.encode("utf-8"), digest_size=8).digest()
        offset = int.from_bytes(digest, "big") % self.SLOTS
        self._fcntl.lockf(self._fd, self._fcntl.LOCK_EX, 1, offset)
        try:
            yield
        finally:
            self._fcntl.lockf(self._fd, self._fcntl.LOCK_UN, 1, offset)


class SqliteSessionStore:
    """Thread- and process-safe: concurrent turns on one session run one after the other."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._local = threading.local()
        self._init_db()
        self._process_locks = _ProcessLocks(Path(str(self.path) + ".lock"))

    # --- connection management -------------------------------------------------------------
    def _init_db(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = self._connect()
            conn.executescript(_SCHEMA)
            conn.execute("SELECT count(*) FROM sessions").fetchone()
        except sqlite3.DatabaseError as exc:
            self._recover(exc)

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def _recover(self, exc: Exception) -> None:
        """A corrupt database is moved aside and a fresh one started (BAD_INPUTS 20)."""
        log.error("session store %s unusable (%s); moving it aside and starting a new one", self.path, exc)
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                p.rename(p.with_name(p.name + f".corrupt-{stamp}"))
        conn = self._connect()
        conn.executescript(_SCHEMA)

    def _lock_for(self, session_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(session_id, threading.Lock())

    # --- the interface -----------------------------------------------------------------------
    @contextmanager
    def session(self, session_id: str) -> Iterator[SessionHandle]:
        with self._lock_for(session_id), self._process_locks.hold(session_id):
            handle = SessionHandle(self._load(session_id))
            yield handle
            if handle.state is not None:
                self._save(session_id, handle.state)

    def _load(self, session_id: str) -> dict | None:
        for attempt in range(2):
            try:
                row = self._connect().execute(
                    "SELECT state FROM sessions WHERE id = ?", (session_id,)
                ).fetchone()
                return json.loads(row[0]) if row else None
            except (sqlite3.DatabaseError, json.JSONDecodeError) as exc:
                if attempt:
                    raise StoreError(str(exc)) from exc
                self._recover(exc)
        return None

    def _save(self, session_id: str, state: dict) -> None:
        payload = json.dumps(state, ensure_ascii=False)
        for attempt in range(2):
            try:
                self._connect().execute(
                    "INSERT INTO sessions (id, state, updated) VALUES (?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated = excluded.updated",
                    (session_id, payload, time.time()),
                )
                return
            except sqlite3.DatabaseError as exc:
                if attempt:
                    raise StoreError(str(exc)) from exc
                self._recover(exc)

    def exists(self, session_id: str) -> bool:
        return self._load(session_id) is not None

    def delete(self, session_id: str) -> None:
        with self._lock_for(session_id), self._process_locks.hold(session_id):
            conn = self._connect()
            conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            # Make the deletion physical: no copy left in the WAL or free pages.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")


class MemorySessionStore:
    """For tests and throw-away sessions."""

    def __init__(self):
        self._data: dict[str, str] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def session(self, session_id: str) -> Iterator[SessionHandle]:
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
