"""What the web front end keeps: web.sqlite3 in the data dir (mode 0600), or the PostgreSQL
database of POLICYBOT_DATABASE_URL, where every worker (on any machine) shares it.

    store = WebStore.for_settings(settings)          # or WebStore(path) / WebStore(path, database_url=…)
    with store.locked("api-s-1"):                    # one turn of a session at a time, all workers
        store.set_last_options("api-s-1", [Option(id="企业", label="企业")])   # what a press may name next
        store.append_turn("api-s-1", kind="text", text="高企能拿多少", reply=reply)   # a transcript row
    store.forget_session("chat-w1")                  # every row of that session, physically gone
    store.purge_before(cutoff)                       # idle chat/API sessions (policybot purge)

Tables (versioned migrations, component "web", on the storage layer bot/storage):
    last_options    engine session -> the options of its last reply (a press must name one), and the
                    request id and reply of its last turn (a retried request is answered, not rerun)
    turns           transcripts of the web chat and of copilot cases (user text + reply JSON)
    staff           copilot accounts (argon2 hashes only)
    login_failures  consecutive wrong passwords per name, and the lockout end
    staff_sessions  sha256 of each login cookie -> staff name, CSRF token, expiry
    cases           copilot cases: owner, title; the engine session is "case-<id>"
    secrets         the HMAC key every worker signs forms with (PostgreSQL only; SQLite data dirs
                    keep web-secret.key)

`locked(session)` holds the session across threads, processes and (PostgreSQL) machines; on
PostgreSQL it is one transaction that the engine's own save joins (bot/storage/postgres.py), so a
turn's rows here and its engine state commit together. Read-modify-write of a login's failures is
serialized the same way. On SQLite deleted rows are overwritten (secure_delete) and the WAL
truncated, so a deleted chat leaves no copy in the file. Engine sessions themselves live in the
engine's store (the Assistant deletes them); this module never reads or writes those.

Faults are bot/storage's StoreError tree; the web answers them with 503 store_unavailable.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.dialogue.reply import Option, Reply
from bot.storage import BUSY_TIMEOUT_S, Migration, open_database


def _tables(real: str) -> tuple[str, ...]:
    return (
        f"CREATE TABLE IF NOT EXISTS last_options (session TEXT PRIMARY KEY, options TEXT NOT NULL, "
        f"updated {real} NOT NULL)",
        "CREATE TABLE IF NOT EXISTS turns (session TEXT NOT NULL, seq INTEGER NOT NULL, "
        "kind TEXT NOT NULL, text TEXT NOT NULL, choice TEXT, reply TEXT NOT NULL, draft TEXT, "
        f"created {real} NOT NULL, PRIMARY KEY (session, seq))",
        f"CREATE TABLE IF NOT EXISTS staff (name TEXT PRIMARY KEY, pw_hash TEXT NOT NULL, created {real} NOT NULL)",
        "CREATE TABLE IF NOT EXISTS login_failures (name TEXT PRIMARY KEY, failures INTEGER NOT NULL, "
        f"locked_until {real} NOT NULL, updated {real} NOT NULL)",
        "CREATE TABLE IF NOT EXISTS staff_sessions (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, "
        f"csrf TEXT NOT NULL, expires {real} NOT NULL)",
        "CREATE TABLE IF NOT EXISTS cases (id TEXT PRIMARY KEY, staff TEXT NOT NULL, title TEXT NOT NULL, "
        f"created {real} NOT NULL, updated {real} NOT NULL)",
        "CREATE INDEX IF NOT EXISTS cases_by_staff ON cases (staff, updated)",
    )


MIGRATIONS = (
    Migration(1, sqlite=_tables("REAL"), postgres=_tables("DOUBLE PRECISION")),  # web.sqlite3 as it was
    Migration(
        2,  # retried requests answered once; the shared form-signing key; transcripts by age
        sqlite=(
            "ALTER TABLE last_options ADD COLUMN request_id TEXT",
            "ALTER TABLE last_options ADD COLUMN reply TEXT",
            "CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS last_options_updated ON last_options (updated)",
        ),
        postgres=(
            "ALTER TABLE last_options ADD COLUMN IF NOT EXISTS request_id TEXT",
            "ALTER TABLE last_options ADD COLUMN IF NOT EXISTS reply TEXT",
            "CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS last_options_updated ON last_options (updated)",
        ),
    ),
)

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


class WebStore:
    """Thread-safe; any number of processes (SQLite: on this machine; PostgreSQL: anywhere) may share it.
    Opening touches nothing: the first call creates or migrates the schema."""

    def __init__(self, path: Path, *, database_url: str | None = None, busy_timeout: float = BUSY_TIMEOUT_S):
        self.path = Path(path)
        self.db = open_database(database_url, "web", MIGRATIONS, self.path, busy_timeout=busy_timeout)

    @classmethod
    def for_settings(cls, settings) -> WebStore:
        """web.sqlite3 in the data dir, or the PostgreSQL database when settings.database_url is set."""
        return cls(settings.web_db, database_url=settings.database_url,
                   busy_timeout=getattr(settings, "store_busy_timeout_s", BUSY_TIMEOUT_S))

    @property
    def backend(self) -> str:
        return self.db.kind

    def close(self) -> None:
        self.db.close()

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        return self.db.query(sql, args)

    def _scrub(self) -> None:
        """Push deleted pages out of the WAL (secure_delete already zeroed them in the file)."""
        self.db.checkpoint()

    @contextmanager
    def locked(self, session: str) -> Iterator[None]:
        """One turn (or deletion) of `session` at a time across threads and workers; on PostgreSQL
        one transaction that everything this thread stores inside it joins (the engine's save too)."""
        with self.db.serialized("session:" + session):
            yield

    # --- options of the last reply, and the last request ------------------------------------------
    def last_options(self, session: str) -> list[Option] | None:
        """None: the web front end has never answered this session."""
        rows = self._read("SELECT options FROM last_options WHERE session = ?", (session,))
        if not rows:
            return None
        return [Option.model_validate(o) for o in json.loads(rows[0][0])]

    def last_turn(self, session: str) -> tuple[list[Option] | None, str | None, Reply | None]:
        """(options of the last reply or None when never answered, the last request id, its reply):
        what a turn needs to know before it runs, in one read."""
        rows = self._read("SELECT options, request_id, reply FROM last_options WHERE session = ?", (session,))
        if not rows:
            return None, None, None
        options, request_id, reply = rows[0]
        return ([Option.model_validate(o) for o in json.loads(options)], request_id,
                Reply.model_validate_json(reply) if reply else None)

    def answered(self, session: str, request_id: str) -> Reply | None:
        """The reply already given to `request_id`, when it was the session's last request."""
        _, last, reply = self.last_turn(session)
        return reply if last == request_id else None

    def set_last_options(self, session: str, options: list[Option], *, request_id: str | None = None,
                         reply: Reply | None = None) -> None:
        """The options a press may name next; with `request_id` also the reply given to it."""
        payload = json.dumps([o.model_dump() for o in options], ensure_ascii=False)
        answer = reply.model_dump_json() if request_id and reply is not None else None
        self.db.write((
            "INSERT INTO last_options (session, options, updated, request_id, reply) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (session) DO UPDATE SET options = excluded.options, updated = excluded.updated, "
            "request_id = excluded.request_id, reply = excluded.reply",
            (session, payload, time.time(), request_id if answer else None, answer),
        ))

    # --- transcripts ------------------------------------------------------------------------------
    def append_turn(self, session: str, *, kind: str, text: str, reply: Reply, choice: str | None = None) -> int:
        (rows, _) = self.db.write(
            ("INSERT INTO turns (session, seq, kind, text, choice, reply, created) "
             "SELECT ?, coalesce(max(seq), 0) + 1, ?, ?, ?, ?, ? FROM turns WHERE session = ? RETURNING seq",
             (session, kind, text, choice, reply.model_dump_json(), time.time(), session)),
            ("DELETE FROM turns WHERE session = ? AND seq <= (SELECT max(seq) FROM turns WHERE session = ?) - ?",
             (session, session, MAX_TURNS_KEPT)),
        )
        return rows[0][0]

    def turns(self, session: str) -> list[TurnRow]:
        rows = self._read(
            "SELECT seq, kind, text, choice, reply, draft, created FROM turns WHERE session = ? ORDER BY seq",
            (session,),
        )
        return [TurnRow(seq, kind, text, choice, Reply.model_validate_json(reply), draft, created)
                for seq, kind, text, choice, reply, draft, created in rows]

    def set_draft(self, session: str, seq: int, draft: str) -> bool:
        (rows,) = self.db.write(("UPDATE turns SET draft = ? WHERE session = ? AND seq = ? RETURNING seq",
                                 (draft, session, seq)))
        return len(rows) == 1

    def forget_session(self, session: str) -> None:
        """Every row the web front end holds about one engine session."""
        self.db.write(("DELETE FROM turns WHERE session = ?", (session,)),
                      ("DELETE FROM last_options WHERE session = ?", (session,)))
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
            with self.locked(session):
                self.forget_session(session)
        return len(stale)

    # --- the form-signing key ---------------------------------------------------------------------
    def shared_secret(self, name: str) -> bytes:
        """A random 32-byte key created once and the same for every worker on this database."""
        candidate = secrets.token_hex(32)
        self.db.write(("INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                       (name, candidate)))
        return bytes.fromhex(self._read("SELECT value FROM secrets WHERE name = ?", (name,))[0][0])

    # --- staff ------------------------------------------------------------------------------------
    def staff_hash(self, name: str) -> str | None:
        rows = self._read("SELECT pw_hash FROM staff WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def put_staff(self, name: str, pw_hash: str) -> bool:
        """Create or replace an account (and clear its lockout); True when it is new."""
        with self.db.serialized("staff:" + name):
            existed = bool(self._read("SELECT 1 FROM staff WHERE name = ?", (name,)))
            self.db.write(
                ("INSERT INTO staff (name, pw_hash, created) VALUES (?, ?, ?) "
                 "ON CONFLICT (name) DO UPDATE SET pw_hash = excluded.pw_hash", (name, pw_hash, time.time())),
                ("DELETE FROM login_failures WHERE name = ?", (name,)),
                ("DELETE FROM staff_sessions WHERE name = ?", (name,)),
            )
        return not existed

    def remove_staff(self, name: str) -> tuple[bool, int]:
        """Delete an account, its logins and its cases; (existed, cases deleted)."""
        cases = [c.id for c in self.cases_of(name)]
        (gone, _, _) = self.db.write(
            ("DELETE FROM staff WHERE name = ? RETURNING name", (name,)),
            ("DELETE FROM staff_sessions WHERE name = ?", (name,)),
            ("DELETE FROM login_failures WHERE name = ?", (name,)),
        )
        for case_id in cases:
            self.delete_case(case_id)
        self._scrub()
        return bool(gone), len(cases)

    def staff_names(self) -> list[str]:
        return [r[0] for r in self._read("SELECT name FROM staff ORDER BY name")]

    # --- login failures ---------------------------------------------------------------------------
    def locked_until(self, name: str) -> float:
        rows = self._read("SELECT locked_until FROM login_failures WHERE name = ?", (name,))
        return rows[0][0] if rows else 0.0

    def record_failure(self, name: str, *, max_failures: int, lockout_s: float) -> tuple[int, float]:
        """One more wrong password; (wrong passwords in a row, locked until or 0) after it.

        Failures older than one lockout period are forgotten; reaching `max_failures` locks the
        name and the count starts again after the lockout. Counted once across all workers."""
        now = time.time()
        with self.db.serialized("login:" + name):
            rows = self._read("SELECT failures, locked_until, updated FROM login_failures WHERE name = ?", (name,))
            row = rows[0] if rows else None
            if row and row[1] > now:
                return row[0], row[1]
            previous = row[0] if row and now - row[2] <= lockout_s else 0
            failures = previous + 1
            locked = now + lockout_s if failures >= max_failures else 0.0
            self.db.write((
                "INSERT INTO login_failures (name, failures, locked_until, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET failures = excluded.failures, "
                "locked_until = excluded.locked_until, updated = excluded.updated",
                (name, 0 if locked else failures, locked, now),
            ))
        return failures, locked

    def clear_failures(self, name: str) -> None:
        self.db.write(("DELETE FROM login_failures WHERE name = ?", (name,)))

    # --- staff sessions ---------------------------------------------------------------------------
    def add_staff_session(self, token_hash: str, name: str, csrf: str, expires: float) -> None:
        self.db.write(
            ("DELETE FROM staff_sessions WHERE expires < ?", (time.time(),)),
            ("INSERT INTO staff_sessions (token_hash, name, csrf, expires) VALUES (?, ?, ?, ?)",
             (token_hash, name, csrf, expires)),
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
        self.db.write(("DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,)))

    # --- cases ------------------------------------------------------------------------------------
    def add_case(self, case_id: str, staff: str, title: str) -> CaseRow:
        now = time.time()
        self.db.write(("INSERT INTO cases (id, staff, title, created, updated) VALUES (?, ?, ?, ?, ?)",
                       (case_id, staff, title, now, now)))
        return CaseRow(case_id, staff, title, now, now)

    def touch_case(self, case_id: str) -> None:
        self.db.write(("UPDATE cases SET updated = ? WHERE id = ?", (time.time(), case_id)))

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
        session = case_session(case_id)
        self.db.write(("DELETE FROM cases WHERE id = ?", (case_id,)),
                      ("DELETE FROM turns WHERE session = ?", (session,)),
                      ("DELETE FROM last_options WHERE session = ?", (session,)))
        self._scrub()
