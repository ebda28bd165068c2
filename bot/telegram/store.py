"""telegram.sqlite3 in the data dir: what the Telegram front end itself must remember across restarts.

    processed   (bot_id, update_id)        updates already handled: a redelivery is skipped
    inbox       (bot_id, update_id) -> chat_id, update JSON, attempts
                                            updates received but not yet processed (inbox.py)
    prompts     chat_id -> token, message_id, asks, choices   the live question and its buttons
    deletes     chat_id -> token            a pending /delete confirmation
    inactive    chat_id -> since            chats that blocked the bot (403)

User text is stored only in the inbox, and only while its update is pending: an update is written
there before Telegram is told it arrived (so a kill -9 cannot lose it) and deleted in the same
transaction that marks it processed. secure_delete zeroes deleted rows, and whenever the inbox
drains (and after a /delete) the WAL is checkpointed and truncated, so no bytes of a processed
update or a forgotten chat linger in free pages or in the log. Under a steady load that never lets
the inbox drain, old log frames are overwritten as SQLite recycles its WAL (~1000 pages). Everything
else is the bot's own words (asks/choices) or ids. Prompts, blocked chats, recent update ids and
the inbox's ids are mirrored in memory; SQLite is written through. A corrupt file is moved aside
and a fresh one created; a failing write is logged and the bot carries on (the engine's session
store is the state that matters).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS processed (bot_id INTEGER NOT NULL, update_id INTEGER NOT NULL,
                                      PRIMARY KEY (bot_id, update_id));
CREATE TABLE IF NOT EXISTS prompts (chat_id INTEGER PRIMARY KEY, token TEXT, message_id INTEGER,
                                    asks TEXT NOT NULL, choices TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deletes (chat_id INTEGER PRIMARY KEY, token TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inactive (chat_id INTEGER PRIMARY KEY, since REAL NOT NULL);
CREATE TABLE IF NOT EXISTS inbox (bot_id INTEGER NOT NULL, update_id INTEGER NOT NULL, chat_id INTEGER,
                                  data TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                                  PRIMARY KEY (bot_id, update_id));
"""
KEEP_PROCESSED = 20_000
MAX_ATTEMPTS = 3  # an inbox update replayed this often without being processed is dropped


@dataclass(frozen=True)
class Prompt:
    token: str | None  # None: a free-text question without buttons
    message_id: int | None
    asks: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)


class TelegramStore:
    def __init__(self, path: Path, bot_id: int = 0):
        self.path = Path(path)
        self.bot_id = bot_id
        self._lock = threading.Lock()
        self._conn = self._open()
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()
        self._inactive: set[int] = set()
        self._prompts: dict[int, Prompt] = {}
        self._inbox: dict[int, int | None] = {}  # update_id -> chat_id of the rows in `inbox`
        self._scrub = False  # inbox rows were deleted since the WAL was last truncated
        self._load()

    # -- opening -------------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._connect(self.path)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            log.error("telegram store %s is locked by another process; using memory only", self.path)
            return self._connect(":memory:")
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            log.error("telegram store %s unreadable (%s); moved to %s, starting empty", self.path, exc, aside)
            self.path.rename(aside)
            return self._connect(self.path)

    @staticmethod
    def _connect(path: Path | str) -> sqlite3.Connection:
        conn = sqlite3.connect(path, check_same_thread=False, timeout=5, isolation_level=None)
        try:
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # with WAL: no fsync per commit
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _load(self) -> None:
        rows = self._query(
            "SELECT update_id FROM processed WHERE bot_id=? ORDER BY update_id DESC LIMIT ?",
            (self.bot_id, KEEP_PROCESSED),
        )
        for (update_id,) in reversed(rows):
            self._remember(update_id)
        self._inactive = {chat_id for (chat_id,) in self._query("SELECT chat_id FROM inactive", ())}
        for chat_id, token, message_id, asks, choices in self._query("SELECT * FROM prompts", ()):
            self._prompts[chat_id] = Prompt(token, message_id, json.loads(asks), json.loads(choices))
        rows = self._query("SELECT update_id, chat_id FROM inbox WHERE bot_id=?", (self.bot_id,))
        self._inbox = dict(rows)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- plumbing ------------------------------------------------------------------------------
    def _query(self, sql: str, args: tuple) -> list[tuple]:
        try:
            with self._lock:
                return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            log.warning("telegram store read failed: %s", exc)
            return []

    def _write(self, *statements: tuple[str, tuple]) -> None:
        try:
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for sql, args in statements:
                        self._conn.execute(sql, args)
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            log.warning("telegram store write failed: %s", exc)

    def _truncate_wal(self) -> None:
        """Copy the log into the file and empty it: old page images (deleted rows) must not linger."""
        try:
            with self._lock:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            log.warning("telegram store checkpoint failed: %s", exc)

    # -- processed updates (memory check is synchronous: it must not yield, see processor.py) -----
    def _remember(self, update_id: int) -> None:
        if update_id in self._seen:
            return
        self._seen.add(update_id)
        self._seen_order.append(update_id)
        while len(self._seen_order) > KEEP_PROCESSED:
            self._seen.discard(self._seen_order.popleft())

    def is_processed(self, update_id: int) -> bool:
        return update_id in self._seen

    def mark_processed(self, update_id: int, *, settle: bool = True) -> None:
        """Recorded as processed and, in the same transaction, taken out of the inbox. Then, unless
        `settle` is False (the caller is about to send a reply and settles later by marking the
        update again), the WAL is truncated if that emptied the inbox."""
        if update_id not in self._seen:
            self._remember(update_id)
            statements = [("INSERT OR IGNORE INTO processed VALUES (?, ?)", (self.bot_id, update_id))]
            if update_id % 1000 == 0:
                statements.append(
                    ("DELETE FROM processed WHERE bot_id=? AND update_id < ?", (self.bot_id, update_id - KEEP_PROCESSED))
                )
            if update_id in self._inbox:
                self._inbox.pop(update_id, None)
                self._scrub = True
                statements.append(("DELETE FROM inbox WHERE bot_id=? AND update_id=?", (self.bot_id, update_id)))
            self._write(*statements)
        if settle:
            self._settle()

    def _settle(self) -> None:
        """Once the inbox is empty, no page image of a deleted inbox row may stay in the log."""
        if self._scrub and not self._inbox:
            self._scrub = False
            self._truncate_wal()

    # -- the inbox: updates received, not yet processed (see inbox.py) ---------------------------------
    def inbox_add(self, update_id: int, chat_id: int | None, data: str) -> None:
        """Kept until mark_processed(update_id); an update already processed is not stored again."""
        if update_id in self._seen or update_id in self._inbox:
            return
        self._inbox[update_id] = chat_id
        self._write(("INSERT OR IGNORE INTO inbox VALUES (?, ?, ?, ?, 0)", (self.bot_id, update_id, chat_id, data)))

    def inbox_pending(self) -> list[tuple[int, str]]:
        """(update_id, update JSON) of every unprocessed update, oldest first, each counted as one
        more attempt; one that was already replayed MAX_ATTEMPTS times is dropped instead (it
        probably kills the process)."""
        rows = self._query(
            "SELECT update_id, data, attempts FROM inbox WHERE bot_id=? ORDER BY update_id", (self.bot_id,)
        )
        pending, dropped = [], []
        for update_id, data, attempts in rows:
            if update_id in self._seen:  # processed after all
                dropped.append(update_id)
            elif attempts >= MAX_ATTEMPTS:
                log.warning("update %s dropped from the inbox after %d replays", update_id, attempts)
                dropped.append(update_id)
            else:
                pending.append((update_id, data))
        self.inbox_drop(*dropped)
        if pending:
            self._write(("UPDATE inbox SET attempts = attempts + 1 WHERE bot_id=?", (self.bot_id,)))
        return pending

    def inbox_drop(self, *update_ids: int) -> None:
        """Out of the inbox without being processed (undecodable, or given up on)."""
        if not update_ids:
            return
        for update_id in update_ids:
            self._inbox.pop(update_id, None)
        self._scrub = True
        self._write(*(("DELETE FROM inbox WHERE bot_id=? AND update_id=?", (self.bot_id, u)) for u in update_ids))
        self._settle()

    def inbox_ids(self) -> list[int]:
        return sorted(u for (u,) in self._query("SELECT update_id FROM inbox WHERE bot_id=?", (self.bot_id,)))

    # -- live prompt per chat --------------------------------------------------------------------
    def get_prompt(self, chat_id: int) -> Prompt | None:
        return self._prompts.get(chat_id)

    def save_prompt(self, chat_id: int, prompt: Prompt) -> None:
        self._prompts[chat_id] = prompt
        asks, choices = (json.dumps(x, ensure_ascii=False) for x in (prompt.asks, prompt.choices))
        self._write(
            ("INSERT OR REPLACE INTO prompts VALUES (?, ?, ?, ?, ?)", (chat_id, prompt.token, prompt.message_id, asks, choices))
        )

    def clear_prompt(self, chat_id: int) -> None:
        if self._prompts.pop(chat_id, None) is not None:
            self._write(("DELETE FROM prompts WHERE chat_id=?", (chat_id,)))

    # -- /delete confirmation --------------------------------------------------------------------
    def set_delete_token(self, chat_id: int, token: str) -> None:
        self._write(("INSERT OR REPLACE INTO deletes VALUES (?, ?)", (chat_id, token)))

    def take_delete_token(self, chat_id: int, token: str) -> bool:
        """True (and consumed) when `token` is the chat's pending confirmation."""
        if not self._query("SELECT 1 FROM deletes WHERE chat_id=? AND token=?", (chat_id, token)):
            return False
        self._write(("DELETE FROM deletes WHERE chat_id=?", (chat_id,)))
        return True

    # -- blocked chats ---------------------------------------------------------------------------
    def is_inactive(self, chat_id: int) -> bool:
        return chat_id in self._inactive

    def set_inactive(self, chat_id: int, inactive: bool) -> None:
        if inactive == (chat_id in self._inactive):
            return
        if inactive:
            self._inactive.add(chat_id)
            self._write(("INSERT OR REPLACE INTO inactive VALUES (?, ?)", (chat_id, time.time())))
        else:
            self._inactive.discard(chat_id)
            self._write(("DELETE FROM inactive WHERE chat_id=?", (chat_id,)))

    # -- /delete ---------------------------------------------------------------------------------
    def forget_chat(self, chat_id: int, up_to: int | None = None) -> None:
        """Every row about the chat, including its inbox updates (those up to update `up_to`, the
        confirming press: later ones were sent after the /delete and are still to be answered)."""
        self._inactive.discard(chat_id)
        self._prompts.pop(chat_id, None)
        last = up_to if up_to is not None else 2**62
        for update_id, chat in list(self._inbox.items()):
            if chat == chat_id and update_id <= last:
                self._inbox.pop(update_id, None)
        self._write(
            ("DELETE FROM prompts WHERE chat_id=?", (chat_id,)),
            ("DELETE FROM deletes WHERE chat_id=?", (chat_id,)),
            ("DELETE FROM inactive WHERE chat_id=?", (chat_id,)),
            ("DELETE FROM inbox WHERE bot_id=? AND chat_id=? AND update_id<=?", (self.bot_id, chat_id, last)),
        )
        self._scrub = False
        self._truncate_wal()  # old page images must not linger in the write-ahead log either
