"""What the web front end keeps, in one SQLite file in the data dir (`web.sqlite3`, mode 0600).

    store = WebStore(settings.web_db)
    store.set_last_options("api-s-1", [Option(id="企业", label="企业")])   # what a press may name next
    store.append_turn("chat-w1", kind="text", text="高企能拿多少", reply=reply)   # a transcript row
    store.forget_session("chat-w1")                  # every row of that session, physically gone

Tables:
    last_options    engine session -> the options of its last reply (a press must name one)
    turns           transcripts of the web chat and of copilot cases (user text + reply JSON)
    staff           copilot accounts (argon2 hashes only)
    login_failures  consecutive wrong passwords per name, and the lockout end
    staff_sessions  sha256 of each login cookie -> staff name, CSRF token, expiry
    cases           copilot cases: owner, title; the engine session is "case-<id>"

Deleted rows are overwritten (secure_delete) and the WAL is truncated, so a deleted chat leaves
no copy in the file. Engine sessions themselves live in the engine's store (the Assistant deletes
them); this module never reads or writes those.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bot.dialogue.reply import Option, Reply

_SCHEMA = """
CREATE TABLE IF NOT EXISTS last_options (
    session TEXT PRIMARY KEY,
    options TEXT NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    session TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,          -- text | choice | fact | message
    text TEXT NOT NULL,          -- what the user typed, or the label of the pressed option
    choice TEXT,                 -- the id of the pressed option
    reply TEXT NOT NULL,         -- Reply JSON
    draft TEXT,                  -- copilot: the draft as the staff member edited it
    created REAL NOT NULL,
    PRIMARY KEY (session, seq)
);
CREATE TABLE IF NOT EXISTS staff (
    name TEXT PRIMARY KEY,
    pw_hash TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    name TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS staff_sessions (
    token_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    csrf TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY,
    staff TEXT NOT NULL,
    title TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_by_staff ON cases (staff, updated);
"""

MAX_TURNS_KEPT = 400  # per session: older transcript rows are dropped


@dataclass(frozen=True)
class TurnRow:
    seq: int
    kind: str
    text: str
    choice: str | None
    reply: Reply
    draft: str | None
    created: float


@dataclass(frozen=True)
class CaseRow:
    id: str
    staff: str
    title: str
    created: float
    updated: float

    @property
    def session(self) -> str:
        return case_session(self.id)


def case_session(case_id: str) -> str:
    return f"case-{case_id}"


def _touch_private(path: Path) -> None:
    """Create `path` readable by the owner only (SQLite gives its -wal/-shm files the same mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if p.exists():
            os.chmod(p, 0o600)


class WebStore:
    """Thread-safe (one connection per thread); several processes may share the file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        _touch_private(self.path)
        self._local = threading.local()
        self._write = threading.Lock()
        with self._write:
            self._conn().executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA secure_delete=ON")
            self._local.conn = conn
        return conn

    class _Tx:
        def __init__(self, store: WebStore):
            self.store = store

        def __enter__(self) -> sqlite3.Connection:
            self.store._write.acquire()
            self.conn = self.store._conn()
            self.conn.execute("BEGIN IMMEDIATE")
            return self.conn

        def __exit__(self, exc_type, exc, tb) -> None:
            try:
                self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
            finally:
                self.store._write.release()

    def _tx(self) -> WebStore._Tx:
        return WebStore._Tx(self)

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        return self._conn().execute(sql, args).fetchall()

    def _scrub(self) -> None:
        """Push deleted pages out of the WAL (secure_delete already zeroed them in the file)."""
        self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- options of the last reply --------------------------------------------------------------
    def last_options(self, session: str) -> list[Option] | None:
        """None: the web front end has never answered this session."""
        rows = self._read("SELECT options FROM last_options WHERE session = ?", (session,))
        if not rows:
            return None
        return [Option.model_validate(o) for o in json.loads(rows[0][0])]

    def set_last_options(self, session: str, options: list[Option]) -> None:
        payload = json.dumps([o.model_dump() for o in options], ensure_ascii=False)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO last_options (session, options, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(session) DO UPDATE SET options = excluded.options, updated = excluded.updated",
                (session, payload, time.time()),
            )

    # --- transcripts ------------------------------------------------------------------------------
    def append_turn(self, session: str, *, kind: str, text: str, reply: Reply, choice: str | None = None) -> int:
        with self._tx() as conn:
            (last,) = conn.execute("SELECT coalesce(max(seq), 0) FROM turns WHERE session = ?", (session,)).fetchone()
            seq = last + 1
            conn.execute(
                "INSERT INTO turns (session, seq, kind, text, choice, reply, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session, seq, kind, text, choice, reply.model_dump_json(), time.time()),
            )
            conn.execute("DELETE FROM turns WHERE session = ? AND seq <= ?", (session, seq - MAX_TURNS_KEPT))
        return seq

    def turns(self, session: str) -> list[TurnRow]:
        rows = self._read(
            "SELECT seq, kind, text, choice, reply, draft, created FROM turns WHERE session = ? ORDER BY seq",
            (session,),
        )
        return [TurnRow(seq, kind, text, choice, Reply.model_validate_json(reply), draft, created)
                for seq, kind, text, choice, reply, draft, created in rows]

    def set_draft(self, session: str, seq: int, draft: str) -> bool:
        with self._tx() as conn:
            cur = conn.execute("UPDATE turns SET draft = ? WHERE session = ? AND seq = ?", (draft, session, seq))
            return cur.rowcount == 1

    def forget_session(self, session: str) -> None:
        """Every row the web front end holds about one engine session."""
        with self._tx() as conn:
            conn.execute("DELETE FROM turns WHERE session = ?", (session,))
            conn.execute("DELETE FROM last_options WHERE session = ?", (session,))
        self._scrub()

    def purge_before(self, cutoff: float) -> int:
        """Forget chat and API sessions idle since before `cutoff` (epoch seconds); copilot cases
        are staff records and stay until deleted. Returns the number of sessions forgotten. The
        engine sessions of the same ids are the engine store's to purge."""
        stale = [r[0] for r in self._read(
            "SELECT session FROM last_options WHERE updated < ? AND session NOT LIKE 'case-%' "
            "UNION SELECT session FROM turns WHERE session NOT LIKE 'case-%' GROUP BY session "
            "HAVING max(created) < ?", (cutoff, cutoff))]
        for session in stale:
            self.forget_session(session)
        return len(stale)

    # --- staff ------------------------------------------------------------------------------------
    def staff_hash(self, name: str) -> str | None:
        rows = self._read("SELECT pw_hash FROM staff WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def put_staff(self, name: str, pw_hash: str) -> bool:
        """Create or replace an account (and clear its lockout); True when it is new."""
        with self._tx() as conn:
            existed = conn.execute("SELECT 1 FROM staff WHERE name = ?", (name,)).fetchone() is not None
            conn.execute(
                "INSERT INTO staff (name, pw_hash, created) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET pw_hash = excluded.pw_hash",
                (name, pw_hash, time.time()),
            )
            conn.execute("DELETE FROM login_failures WHERE name = ?", (name,))
            conn.execute("DELETE FROM staff_sessions WHERE name = ?", (name,))
        return not existed

    def remove_staff(self, name: str) -> tuple[bool, int]:
        """Delete an account, its logins and its cases; (existed, cases deleted)."""
        cases = [c.id for c in self.cases_of(name)]
        with self._tx() as conn:
            existed = conn.execute("DELETE FROM staff WHERE name = ?", (name,)).rowcount == 1
            conn.execute("DELETE FROM staff_sessions WHERE name = ?", (name,))
            conn.execute("DELETE FROM login_failures WHERE name = ?", (name,))
        for case_id in cases:
            self.delete_case(case_id)
        self._scrub()
        return existed, len(cases)

    def staff_names(self) -> list[str]:
        return [r[0] for r in self._read("SELECT name FROM staff ORDER BY name")]

    # --- login failures ---------------------------------------------------------------------------
    def locked_until(self, name: str) -> float:
        rows = self._read("SELECT locked_until FROM login_failures WHERE name = ?", (name,))
        return rows[0][0] if rows else 0.0

    def record_failure(self, name: str, *, max_failures: int, lockout_s: float) -> tuple[int, float]:
        """One more wrong password; (wrong passwords in a row, locked until or 0) after it.

        Failures older than one lockout period are forgotten; reaching `max_failures` locks the
        name and the count starts again after the lockout."""
        now = time.time()
        with self._tx() as conn:
            row = conn.execute(
                "SELECT failures, locked_until, updated FROM login_failures WHERE name = ?", (name,)
            ).fetchone()
            if row and row[1] > now:
                return row[0], row[1]
            previous = row[0] if row and now - row[2] <= lockout_s else 0
            failures = previous + 1
            locked = now + lockout_s if failures >= max_failures else 0.0
            conn.execute(
                "INSERT INTO login_failures (name, failures, locked_until, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET failures = excluded.failures, "
                "locked_until = excluded.locked_until, updated = excluded.updated",
                (name, 0 if locked else failures, locked, now),
            )
        return failures, locked

    def clear_failures(self, name: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM login_failures WHERE name = ?", (name,))

    # --- staff sessions ---------------------------------------------------------------------------
    def add_staff_session(self, token_hash: str, name: str, csrf: str, expires: float) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM staff_sessions WHERE expires < ?", (time.time(),))
            conn.execute(
                "INSERT INTO staff_sessions (token_hash, name, csrf, expires) VALUES (?, ?, ?, ?)",
                (token_hash, name, csrf, expires),
            )

    def staff_session(self, token_hash: str) -> tuple[str, str] | None:
        """(staff name, CSRF token) of a live login, else None."""
        rows = self._read(
            "SELECT s.name, s.csrf FROM staff_sessions s JOIN staff a ON a.name = s.name "
            "WHERE s.token_hash = ? AND s.expires >= ?",
            (token_hash, time.time()),
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def drop_staff_session(self, token_hash: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,))

    # --- cases ------------------------------------------------------------------------------------
    def add_case(self, case_id: str, staff: str, title: str) -> CaseRow:
        now = time.time()
        with self._tx() as conn:
            conn.execute("INSERT INTO cases (id, staff, title, created, updated) VALUES (?, ?, ?, ?, ?)",
                         (case_id, staff, title, now, now))
        return CaseRow(case_id, staff, title, now, now)

    def touch_case(self, case_id: str) -> None:
        with self._tx() as conn:
            conn.execute("UPDATE cases SET updated = ? WHERE id = ?", (time.time(), case_id))

    def case_of(self, staff: str, case_id: str) -> CaseRow | None:
        """The case, only when it belongs to `staff` (another member's case is not found)."""
        rows = self._read("SELECT id, staff, title, created, updated FROM cases WHERE id = ? AND staff = ?",
                          (case_id, staff))
        return CaseRow(*rows[0]) if rows else None

    def cases_of(self, staff: str) -> list[CaseRow]:
        rows = self._read(
            "SELECT id, staff, title, created, updated FROM cases WHERE staff = ? ORDER BY updated DESC", (staff,)
        )
        return [CaseRow(*r) for r in rows]

    def delete_case(self, case_id: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM cases WHERE id = ?", (case_id,))
            conn.execute("DELETE FROM turns WHERE session = ?", (case_session(case_id),))
            conn.execute("DELETE FROM last_options WHERE session = ?", (case_session(case_id),))
        self._scrub()
