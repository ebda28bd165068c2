"""What the Telegram front end itself must remember across restarts and share between workers.

On the same backend as the sessions (bot/storage): telegram.sqlite3 in the data dir by default, or
the PostgreSQL database of POLICYBOT_DATABASE_URL, where every webhook worker behind one URL
shares it.

    processed   (bot_id, update_id) -> at       updates already handled: a redelivery is skipped
    inbox       (bot_id, update_id) -> chat_id, update JSON, attempts, received
                                                updates received but not yet processed (inbox.py)
    prompts     chat_id -> token, message_id, asks, choices   the live question and its buttons
    deletes     chat_id -> token                a pending /delete confirmation
    inactive    chat_id -> since                chats that blocked the bot (403)

Answered once, across workers: before an update runs, `claim` takes a lock on its id that is not
waited for (SQLite: a byte-range lock of telegram.sqlite3.lock; PostgreSQL: a session advisory lock
on one connection per worker) and checks `processed`. A second worker given the same update finds
it claimed or processed and skips it. The claim is held until the update is marked processed and
is released by the kernel or the server when a worker dies, so a killed worker's update can be
taken by the next start's replay. `wait_for_older` keeps a chat's updates in order when two
workers get consecutive ones at once (bounded: ORDER_WAIT_S).

User text is stored only in the inbox, and only while its update is pending: an update is written
there before Telegram is told it arrived (so a kill -9 cannot lose it) and deleted in the same
transaction that marks it processed. On SQLite secure_delete zeroes deleted rows, and whenever the
inbox drains (and after a /delete) the WAL is checkpointed and truncated, so no bytes of a processed
update or a forgotten chat linger in free pages or in the log. Everything else is the bot's own
words (asks/choices) or ids. Rows expire with the retention period (`purge`). A failing store is
logged and the bot carries on from the memory copies (the engine's session store is the state that
matters); a corrupt SQLite file (one failing the integrity check) is moved aside.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from bot.storage import Migration, StoreError, open_database

log = logging.getLogger(__name__)

KEEP_PROCESSED = 20_000
MAX_ATTEMPTS = 3  # an inbox update replayed this often without being processed is dropped
ORDER_WAIT_S = 10.0  # how long an update waits for an older one of its chat that another worker holds

MIGRATIONS = (
    Migration(
        1,  # the schema telegram.sqlite3 had before migrations
        sqlite=(
            "CREATE TABLE IF NOT EXISTS processed (bot_id INTEGER NOT NULL, update_id INTEGER NOT NULL, "
            "PRIMARY KEY (bot_id, update_id))",
            "CREATE TABLE IF NOT EXISTS prompts (chat_id INTEGER PRIMARY KEY, token TEXT, message_id INTEGER, "
            "asks TEXT NOT NULL, choices TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS deletes (chat_id INTEGER PRIMARY KEY, token TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS inactive (chat_id INTEGER PRIMARY KEY, since REAL NOT NULL)",
            "CREATE TABLE IF NOT EXISTS inbox (bot_id INTEGER NOT NULL, update_id INTEGER NOT NULL, chat_id INTEGER, "
            "data TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (bot_id, update_id))",
        ),
        postgres=(
            "CREATE TABLE IF NOT EXISTS processed (bot_id BIGINT NOT NULL, update_id BIGINT NOT NULL, "
            "PRIMARY KEY (bot_id, update_id))",
            "CREATE TABLE IF NOT EXISTS prompts (chat_id BIGINT PRIMARY KEY, token TEXT, message_id BIGINT, "
            "asks TEXT NOT NULL, choices TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS deletes (chat_id BIGINT PRIMARY KEY, token TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS inactive (chat_id BIGINT PRIMARY KEY, since DOUBLE PRECISION NOT NULL)",
            "CREATE TABLE IF NOT EXISTS inbox (bot_id BIGINT NOT NULL, update_id BIGINT NOT NULL, chat_id BIGINT, "
            "data TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (bot_id, update_id))",
        ),
    ),
    Migration(
        2,  # timestamps for retention; the inbox by chat for per-chat order across workers
        sqlite=(
            "ALTER TABLE processed ADD COLUMN at REAL NOT NULL DEFAULT 0",
            "ALTER TABLE inbox ADD COLUMN received REAL NOT NULL DEFAULT 0",
            "ALTER TABLE prompts ADD COLUMN updated REAL NOT NULL DEFAULT 0",
            "ALTER TABLE deletes ADD COLUMN created REAL NOT NULL DEFAULT 0",
            "UPDATE processed SET at = CAST(strftime('%s', 'now') AS REAL)",
            "UPDATE inbox SET received = CAST(strftime('%s', 'now') AS REAL)",
            "UPDATE prompts SET updated = CAST(strftime('%s', 'now') AS REAL)",
            "UPDATE deletes SET created = CAST(strftime('%s', 'now') AS REAL)",
            "CREATE INDEX IF NOT EXISTS processed_at ON processed (at)",
            "CREATE INDEX IF NOT EXISTS inbox_chat ON inbox (bot_id, chat_id, update_id)",
        ),
        postgres=(
            "ALTER TABLE processed ADD COLUMN IF NOT EXISTS at DOUBLE PRECISION NOT NULL DEFAULT 0",
            "ALTER TABLE inbox ADD COLUMN IF NOT EXISTS received DOUBLE PRECISION NOT NULL DEFAULT 0",
            "ALTER TABLE prompts ADD COLUMN IF NOT EXISTS updated DOUBLE PRECISION NOT NULL DEFAULT 0",
            "ALTER TABLE deletes ADD COLUMN IF NOT EXISTS created DOUBLE PRECISION NOT NULL DEFAULT 0",
            "UPDATE processed SET at = extract(epoch from now())",
            "UPDATE inbox SET received = extract(epoch from now())",
            "UPDATE prompts SET updated = extract(epoch from now())",
            "UPDATE deletes SET created = extract(epoch from now())",
            "CREATE INDEX IF NOT EXISTS processed_at ON processed (at)",
            "CREATE INDEX IF NOT EXISTS inbox_chat ON inbox (bot_id, chat_id, update_id)",
        ),
    ),
)


@dataclass(frozen=True)
class Prompt:
    token: str | None  # None: a free-text question without buttons
    message_id: int | None
    asks: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)


class TelegramStore:
    def __init__(self, path: Path, bot_id: int = 0, *, database_url: str | None = None, busy_timeout: float = 5.0):
        self.path = Path(path)
        self.bot_id = bot_id
        self.db = open_database(database_url, "telegram", MIGRATIONS, self.path, busy_timeout=busy_timeout)
        self._lock = threading.Lock()
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()
        self._inactive: set[int] = set()  # memory copies: what the bot goes on from if the store fails
        self._prompts: dict[int, Prompt] = {}
        self._claimed: set[int] = set()
        self._scrub = False  # inbox rows were deleted since the WAL was last truncated
        self._load()

    @classmethod
    def for_settings(cls, settings, bot_id: int) -> TelegramStore:
        return cls(settings.telegram_db, bot_id, database_url=settings.database_url,
                   busy_timeout=getattr(settings, "store_busy_timeout_s", 5.0))

    def _load(self) -> None:
        rows = self._query(
            "SELECT update_id FROM processed WHERE bot_id=? ORDER BY update_id DESC LIMIT ?",
            (self.bot_id, KEEP_PROCESSED),
        )
        for (update_id,) in reversed(rows):
            self._remember(update_id)
        self._inactive = {chat_id for (chat_id,) in self._query("SELECT chat_id FROM inactive", ())}

    def close(self) -> None:
        self.db.close()

    # -- plumbing ------------------------------------------------------------------------------
    def _query(self, sql: str, args: tuple) -> list[tuple] | None:
        """Rows, or [] when the store fails (logged: the class and the database's words only)."""
        try:
            return self.db.query(sql, args)
        except StoreError as exc:
            log.warning("telegram store read failed: %s", exc)
            return []

    def _write(self, *statements: tuple[str, tuple]) -> bool:
        try:
            self.db.write(*statements)
            return True
        except StoreError as exc:
            log.warning("telegram store write failed: %s", exc)
            return False

    def _truncate_wal(self) -> None:
        """Copy the log into the file and empty it: old page images (deleted rows) must not linger."""
        try:
            self.db.checkpoint()
        except StoreError as exc:
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
        """Processed by this process, or seen processed at start-up (the fast, synchronous check;
        `claim` asks the database)."""
        return update_id in self._seen

    def claim(self, update_id: int) -> bool:
        """True when this worker may process the update now: no other worker holds it and it is not
        processed. The claim lasts until mark_processed (or release, or this process's death)."""
        with self._lock:
            if update_id in self._seen or update_id in self._claimed:
                return False
            self._claimed.add(update_id)
        key = f"update:{self.bot_id}:{update_id}"
        try:
            held = self.db.try_claim(key)
        except StoreError as exc:  # no shared store: this process alone decides
            log.warning("telegram store claim failed: %s", exc)
            return True
        if not held:
            with self._lock:
                self._claimed.discard(update_id)
            return False
        done = self._query("SELECT 1 FROM processed WHERE bot_id=? AND update_id=?", (self.bot_id, update_id))
        if done:
            self._remember(update_id)
            self._write(("DELETE FROM inbox WHERE bot_id=? AND update_id=?", (self.bot_id, update_id)))
            self.release(update_id)
            return False
        return True

    def release(self, update_id: int) -> None:
        with self._lock:
            if update_id not in self._claimed:
                return
            self._claimed.discard(update_id)
        try:
            self.db.release_claim(f"update:{self.bot_id}:{update_id}")
        except StoreError as exc:
            log.warning("telegram store release failed: %s", exc)

    def wait_for_older(self, chat_id: int, update_id: int, timeout: float = ORDER_WAIT_S) -> None:
        """Block (up to `timeout`) while an older update of the chat, received in the last `timeout`
        seconds, is still pending: another worker got it and is about to process it or is on it."""
        deadline = time.monotonic() + timeout
        delay = 0.01
        while time.monotonic() < deadline:
            rows = self._query(
                "SELECT 1 FROM inbox WHERE bot_id=? AND chat_id=? AND update_id<? AND received>? LIMIT 1",
                (self.bot_id, chat_id, update_id, time.time() - timeout),
            )
            if not rows:
                return
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def mark_processed(self, update_id: int, *, settle: bool = True) -> None:
        """Recorded as processed (a redelivery, to any worker, is skipped from now on). With `settle`
        (the default) it is also taken out of the inbox, its claim released and, if that emptied the
        inbox, the WAL truncated. The front end marks an update as soon as the session has advanced
        with settle=False, sends the reply, and then the processor marks it again: while the reply is
        being sent the inbox row stays, so another worker holding the chat's next update waits for it
        (wait_for_older) and replies stay in order."""
        if update_id not in self._seen:
            self._remember(update_id)
            statements = [
                ("INSERT INTO processed (bot_id, update_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                 (self.bot_id, update_id, time.time())),
            ]
            if settle:
                statements.append(("DELETE FROM inbox WHERE bot_id=? AND update_id=?", (self.bot_id, update_id)))
            if update_id % 1000 == 0:
                statements.append(
                    ("DELETE FROM processed WHERE bot_id=? AND update_id < ?", (self.bot_id, update_id - KEEP_PROCESSED))
                )
            self._write(*statements)
        elif settle:
            self._write(("DELETE FROM inbox WHERE bot_id=? AND update_id=?", (self.bot_id, update_id)))
        if settle:
            self._scrub = True
            self.release(update_id)
            self._settle()

    def _settle(self) -> None:
        """Once the inbox is empty, no page image of a deleted inbox row may stay in the log."""
        if self._scrub and self.db.kind == "sqlite" and not self._query(
            "SELECT 1 FROM inbox WHERE bot_id=? LIMIT 1", (self.bot_id,)
        ):
            self._scrub = False
            self._truncate_wal()

    # -- the inbox: updates received, not yet processed (see inbox.py) ---------------------------------
    def inbox_add(self, update_id: int, chat_id: int | None, data: str) -> None:
        """Kept until mark_processed(update_id); an update already processed is not stored again."""
        if update_id in self._seen:
            return
        self._write((  # not when another worker has processed it already (its row would never go away)
            "INSERT INTO inbox (bot_id, update_id, chat_id, data, attempts, received) SELECT ?, ?, ?, ?, 0, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM processed WHERE bot_id=? AND update_id=?) ON CONFLICT DO NOTHING",
            (self.bot_id, update_id, chat_id, data, time.time(), self.bot_id, update_id),
        ))

    def inbox_pending(self) -> list[tuple[int, str]]:
        """(update_id, update JSON) of every unprocessed update no live worker holds, oldest first,
        each counted as one more attempt; one that was already replayed MAX_ATTEMPTS times is
        dropped instead (it probably kills the process)."""
        rows = self._query(
            "SELECT i.update_id, i.data, i.attempts, p.update_id FROM inbox i LEFT JOIN processed p "
            "ON p.bot_id = i.bot_id AND p.update_id = i.update_id WHERE i.bot_id=? ORDER BY i.update_id",
            (self.bot_id,),
        )
        pending, dropped = [], []
        for update_id, data, attempts, done in rows:
            if done is not None or update_id in self._seen:  # processed after all
                dropped.append(update_id)
            elif self._held_elsewhere(update_id):
                continue  # a live worker is on it: neither replayed here nor counted as an attempt
            elif attempts >= MAX_ATTEMPTS:
                log.warning("update %s dropped from the inbox after %d replays", update_id, attempts)
                dropped.append(update_id)
            else:
                pending.append((update_id, data))
        self.inbox_drop(*dropped)
        if pending:
            self._write(*(("UPDATE inbox SET attempts = attempts + 1 WHERE bot_id=? AND update_id=?",
                           (self.bot_id, u)) for u, _ in pending))
        return pending

    def _held_elsewhere(self, update_id: int) -> bool:
        """Another worker holds this update's claim right now (several webhook workers on one
        database: a worker starting must not replay, count or drop what a live one is answering)."""
        key = f"update:{self.bot_id}:{update_id}"
        try:
            if self.db.try_claim(key):
                self.db.release_claim(key)
                return False
            return True
        except StoreError:
            return False

    def inbox_drop(self, *update_ids: int) -> None:
        """Out of the inbox without being processed (undecodable, or given up on)."""
        if not update_ids:
            return
        self._scrub = True
        self._write(*(("DELETE FROM inbox WHERE bot_id=? AND update_id=?", (self.bot_id, u)) for u in update_ids))
        self._settle()

    def inbox_ids(self) -> list[int]:
        return sorted(u for (u,) in self._query("SELECT update_id FROM inbox WHERE bot_id=?", (self.bot_id,)))

    # -- live prompt per chat --------------------------------------------------------------------
    def get_prompt(self, chat_id: int) -> Prompt | None:
        try:
            rows = self.db.query("SELECT token, message_id, asks, choices FROM prompts WHERE chat_id=?", (chat_id,))
        except StoreError as exc:
            log.warning("telegram store read failed: %s", exc)
            return self._prompts.get(chat_id)
        if not rows:
            return None
        token, message_id, asks, choices = rows[0]
        return Prompt(token, message_id, json.loads(asks), json.loads(choices))

    def save_prompt(self, chat_id: int, prompt: Prompt) -> None:
        self._prompts[chat_id] = prompt
        asks, choices = (json.dumps(x, ensure_ascii=False) for x in (prompt.asks, prompt.choices))
        self._write((
            "INSERT INTO prompts (chat_id, token, message_id, asks, choices, updated) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET token=excluded.token, message_id=excluded.message_id, "
            "asks=excluded.asks, choices=excluded.choices, updated=excluded.updated",
            (chat_id, prompt.token, prompt.message_id, asks, choices, time.time()),
        ))

    def clear_prompt(self, chat_id: int) -> None:
        self._prompts.pop(chat_id, None)
        self._write(("DELETE FROM prompts WHERE chat_id=?", (chat_id,)))

    # -- /delete confirmation --------------------------------------------------------------------
    def set_delete_token(self, chat_id: int, token: str) -> None:
        self._write((
            "INSERT INTO deletes (chat_id, token, created) VALUES (?, ?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET token=excluded.token, created=excluded.created",
            (chat_id, token, time.time()),
        ))

    def take_delete_token(self, chat_id: int, token: str) -> bool:
        """True (and consumed) when `token` is the chat's pending confirmation (once, across workers)."""
        try:
            (rows,) = self.db.write(
                ("DELETE FROM deletes WHERE chat_id=? AND token=? RETURNING chat_id", (chat_id, token))
            )
        except StoreError as exc:
            log.warning("telegram store write failed: %s", exc)
            return False
        return bool(rows)

    # -- blocked chats ---------------------------------------------------------------------------
    def is_inactive(self, chat_id: int) -> bool:
        return chat_id in self._inactive

    def set_inactive(self, chat_id: int, inactive: bool) -> None:
        if inactive == (chat_id in self._inactive):
            return
        if inactive:
            self._inactive.add(chat_id)
            self._write((
                "INSERT INTO inactive (chat_id, since) VALUES (?, ?) ON CONFLICT (chat_id) DO UPDATE SET since=excluded.since",
                (chat_id, time.time()),
            ))
        else:
            self._inactive.discard(chat_id)
            self._write(("DELETE FROM inactive WHERE chat_id=?", (chat_id,)))

    # -- /delete and retention ---------------------------------------------------------------------
    def forget_chat(self, chat_id: int, up_to: int | None = None) -> None:
        """Every row about the chat, including its inbox updates (those up to update `up_to`, the
        confirming press: later ones were sent after the /delete and are still to be answered)."""
        self._inactive.discard(chat_id)
        self._prompts.pop(chat_id, None)
        last = up_to if up_to is not None else 2**62
        self._write(
            ("DELETE FROM prompts WHERE chat_id=?", (chat_id,)),
            ("DELETE FROM deletes WHERE chat_id=?", (chat_id,)),
            ("DELETE FROM inactive WHERE chat_id=?", (chat_id,)),
            ("DELETE FROM inbox WHERE bot_id=? AND chat_id=? AND update_id<=?", (self.bot_id, chat_id, last)),
        )
        self._scrub = False
        self._truncate_wal()  # old page images must not linger in the write-ahead log either

    def purge(self, older_than: float) -> dict[str, int]:
        """Rows older than `older_than` (epoch seconds), every bot's: how many of each kind."""
        kinds = {
            "inbox": "DELETE FROM inbox WHERE received < ? RETURNING update_id",
            "processed": "DELETE FROM processed WHERE at < ? RETURNING update_id",
            "prompts": "DELETE FROM prompts WHERE updated < ? RETURNING chat_id",
            "deletes": "DELETE FROM deletes WHERE created < ? RETURNING chat_id",
            "inactive": "DELETE FROM inactive WHERE since < ? RETURNING chat_id",
        }
        results = self.db.write(*((sql, (older_than,)) for sql in kinds.values()))
        counts = {kind: len(rows) for kind, rows in zip(kinds, results, strict=True)}
        if any(counts.values()):
            self.db.compact()
        return counts
