"""Flooding limits for LLM mode: model turns per session in a rolling minute, tokens per day.

    limits = Limits(path)            # SQLite in the data dir (shared by every process on it), or
    limits = Limits(None)            # in memory (throw-away sessions, tests)
    limits.admit("s-1", per_minute=10, daily_tokens=2_000_000)    # raises Limited(cause)
    limits.spend(1234)               # tokens of a model call, from the server's usage
    limits.forget("s-1")             # /delete: the session's turn times go too

Only what the limits need is stored: a session id with the times of its model turns (pruned
after a minute) and one number per day.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.llm.faults import Limited

log = logging.getLogger(__name__)
WINDOW_S = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_turns (session TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS llm_turns_session ON llm_turns (session, at);
CREATE TABLE IF NOT EXISTS llm_tokens (day TEXT PRIMARY KEY, tokens INTEGER NOT NULL);
"""


def _today() -> str:
    return dt.date.today().isoformat()


class Limits:
    def __init__(self, path: Path | None, *, clock=time.time):
        self.path = Path(path) if path else None
        self.clock = clock
        self._lock = threading.Lock()
        self._turns: dict[str, list[float]] = defaultdict(list)
        self._tokens: dict[str, int] = defaultdict(int)
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self._db() as db:
                    db.executescript(_SCHEMA)
            except (OSError, sqlite3.Error) as exc:  # a read-only data dir: limits in memory only
                log.error("LLM limits store %s unusable (%s); counting in memory", self.path, type(exc).__name__)
                self.path = None

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        db.execute("PRAGMA secure_delete=ON")  # a forgotten session leaves no bytes in free pages
        try:
            yield db
        finally:
            db.close()

    def admit(self, session_id: str, *, per_minute: int, daily_tokens: int) -> None:
        """Count one model turn for the session, or raise Limited when a limit is reached."""
        now = self.clock()
        with self._lock:
            if daily_tokens and self.tokens_today() >= daily_tokens:
                raise Limited("token_budget")
            if not per_minute:
                return
            if self.path is None:
                times = [t for t in self._turns[session_id] if t > now - WINDOW_S]
                if len(times) >= per_minute:
                    self._turns[session_id] = times
                    raise Limited("session_rate")
                self._turns[session_id] = [*times, now]
                return
            try:
                with self._db() as db:
                    db.execute("DELETE FROM llm_turns WHERE at <= ?", (now - WINDOW_S,))
                    (count,) = db.execute("SELECT count(*) FROM llm_turns WHERE session = ?", (session_id,)).fetchone()
                    if count >= per_minute:
                        raise Limited("session_rate")
                    db.execute("INSERT INTO llm_turns (session, at) VALUES (?, ?)", (session_id, now))
            except sqlite3.Error as exc:
                log.error("LLM limits store failed (%s); turn admitted", type(exc).__name__)

    def spend(self, tokens: int) -> None:
        if tokens <= 0:
            return
        day = _today()
        with self._lock:
            if self.path is None:
                self._tokens[day] += tokens
                return
            try:
                with self._db() as db:
                    db.execute("INSERT INTO llm_tokens (day, tokens) VALUES (?, ?) "
                               "ON CONFLICT(day) DO UPDATE SET tokens = tokens + excluded.tokens", (day, tokens))
            except sqlite3.Error as exc:
                log.error("LLM limits store failed (%s); tokens not counted", type(exc).__name__)

    def tokens_today(self) -> int:
        day = _today()
        if self.path is None:
            return self._tokens[day]
        try:
            with self._db() as db:
                row = db.execute("SELECT tokens FROM llm_tokens WHERE day = ?", (day,)).fetchone()
        except sqlite3.Error:
            return 0
        return row[0] if row else 0

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._turns.pop(session_id, None)
            if self.path is None:
                return
            try:
                with self._db() as db:
                    db.execute("DELETE FROM llm_turns WHERE session = ?", (session_id,))
            except sqlite3.Error as exc:
                log.error("LLM limits store failed on delete (%s)", type(exc).__name__)
