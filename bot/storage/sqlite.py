"""SQLite backend: one file in the data dir, WAL, a bounded busy timeout, faults told apart.

Only a file that fails `PRAGMA integrity_check` is corruption: it is moved aside to
`<name>.corrupt-<stamp>` (0600; `policybot purge` deletes such copies after the retention period)
and a fresh one started. A lock held by another writer is StoreBusy after `busy_timeout` seconds; a
full disk is StoreFull; a read-only data dir is StoreReadOnly, and there the file is still read
(opened immutable), so a turn can be answered from the saved state without being saved.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from bot.storage import files
from bot.storage.errors import StoreBusy, StoreCorrupt, StoreError, StoreFull, StoreReadOnly, StoreUnavailable
from bot.storage.migrations import Migration, pending

log = logging.getLogger(__name__)

_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
_FULL = ("SQLITE_FULL",)
_READONLY = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")
_CORRUPT = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def _name(exc: sqlite3.Error) -> str:
    return getattr(exc, "sqlite_errorname", "") or ""


def classify(exc: sqlite3.Error, where: str) -> StoreError:
    """The StoreError for an sqlite3 error (corruption is decided by the caller's integrity check)."""
    name, text = _name(exc), str(exc).lower()
    if name.startswith(_BUSY) or "locked" in text or "busy" in text:
        return StoreBusy(f"{where}: {name or 'locked'} (the database is locked by another writer)")
    if name.startswith(_FULL) or "disk is full" in text:
        return StoreFull(f"{where}: {name or 'full'} (the disk is full)")
    if name.startswith(_READONLY) or "readonly" in text or "unable to open" in text:
        return StoreReadOnly(f"{where}: {name or 'read-only'} (read-only data dir or file not writable)")
    if name.startswith(_CORRUPT) or "malformed" in text or "not a database" in text:
        return StoreCorrupt(f"{where}: {name or 'corrupt'}")
    return StoreUnavailable(f"{where}: {name or type(exc).__name__}")


class SqliteDatabase:
    """Thread-safe (a connection per thread). `?` placeholders, as in the SQL every store writes."""

    kind = "sqlite"

    def __init__(self, path: Path, migrations: Sequence[Migration], *, component: str, busy_timeout: float = 5.0):
        self.path = Path(path)
        self.component = component
        self.migrations = list(migrations)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._ready = False
        self._readonly = False
        self._guard = threading.Lock()
        self._generation = 0  # bumped when the file is replaced: threads reconnect
        self._key_locks: files.KeyLocks | None = None

    # -- connections -----------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            files.private_dir(self.path.parent)
            files.private_file(self.path)
        except OSError as exc:
            raise files.os_error(exc, f"data dir {self.path.parent}") from exc
        except StoreError:
            if not self.path.exists():
                raise
            return self._open_readonly()
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # with WAL: no fsync per commit
            return conn
        except sqlite3.Error as exc:
            error = classify(exc, str(self.path))
            if isinstance(error, StoreReadOnly):
                return self._open_readonly()
            if isinstance(error, StoreCorrupt):
                self._check_and_move_aside(error)
                return self._open()
            raise error from exc

    def _open_readonly(self) -> sqlite3.Connection:
        """The file opened immutable: its last saved state can be read, nothing can be written."""
        self._readonly = True
        log.error("%s is not writable (read-only data dir?): answering from saved state, nothing is saved", self.path)
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False,
                                   isolation_level=None)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.Error as exc:
            raise StoreReadOnly(f"{self.path}: read-only and unreadable ({_name(exc) or type(exc).__name__})") from exc

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.generation == self._generation:
            return conn
        if conn is not None:
            conn.close()
        with self._guard:
            conn = self._open()
            self._local.conn, self._local.generation = conn, self._generation
            if not self._ready:
                self._migrate(conn)
                self._ready = True
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Apply this component's pending migrations (a plain read when there are none, so a held
        write lock does not stop a reader)."""
        def applied() -> set[int]:
            try:
                rows = conn.execute("SELECT version FROM schema_migrations WHERE component = ?", (self.component,))
                return {v for (v,) in rows}
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return set()
                raise

        try:
            if not pending(self.migrations, applied()):
                return
            if self._readonly:
                raise StoreReadOnly(f"{self.path}: schema is out of date and the file is read-only")
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, "
                    "applied REAL NOT NULL, PRIMARY KEY (component, version))"
                )
                for migration in pending(self.migrations, applied()):
                    for statement in migration.sqlite:
                        conn.execute(statement)
                    conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                                 (self.component, migration.version, time.time()))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            error = classify(exc, f"{self.path} (migration)")
            if isinstance(error, StoreCorrupt):
                self._check_and_move_aside(error)
                self._migrate(self._open())
                return
            raise error from exc

    # -- corruption --------------------------------------------------------------------------------
    def _check_and_move_aside(self, error: StoreError) -> None:
        """Move the file aside only if it fails an integrity check; otherwise re-raise `error`."""
        if self._integrity_ok():
            raise error
        stamp = time.strftime("%Y%m%d-%H%M%S")
        log.error("%s unreadable: it failed its integrity check (%s); moved aside to %s.corrupt-%s, starting a fresh one",
                  self.path, error, self.path.name, stamp)
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                aside = p.with_name(f"{p.name}.corrupt-{stamp}")
                try:
                    p.rename(aside)
                    files.tighten(aside, files.FILE_MODE)
                except OSError as exc:
                    raise files.os_error(exc, f"moving {p.name} aside") from exc
        self._generation += 1
        self._ready = False

    def _integrity_ok(self) -> bool:
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            try:
                return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            finally:
                conn.close()
        except sqlite3.Error as exc:
            # busy, full, read-only: the check could not run, which is no proof of corruption
            return not isinstance(classify(exc, ""), StoreCorrupt)

    def _run(self, fn, where: str):
        """fn(connection) with sqlite3 errors turned into StoreErrors; a corrupt file (one that
        fails the integrity check) is moved aside and fn retried once on a fresh one."""
        for attempt in range(2):
            try:
                return fn(self._conn())
            except sqlite3.Error as exc:
                error = classify(exc, f"{self.path} ({where})")
                if isinstance(error, StoreCorrupt) and attempt == 0:
                    self._check_and_move_aside(error)
                    continue
                raise error from exc
        raise AssertionError("unreachable")

    # -- the interface shared with the PostgreSQL backend -------------------------------------------
    def query(self, sql: str, args: Sequence = ()) -> list[tuple]:
        return self._run(lambda conn: conn.execute(sql, tuple(args)).fetchall(), "read")

    def write(self, *statements: tuple[str, Sequence]) -> list[list[tuple]]:
        """All statements in one transaction; the rows each returned (RETURNING)."""
        def run(conn: sqlite3.Connection):
            if self._readonly:
                raise StoreReadOnly(f"{self.path}: read-only, nothing saved")
            conn.execute("BEGIN IMMEDIATE")
            try:
                out = [conn.execute(sql, tuple(args)).fetchall() for sql, args in statements]
                conn.execute("COMMIT")
                return out
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        return self._run(run, "write")

    def _locks(self) -> files.KeyLocks:
        if self._key_locks is None:
            with self._guard:
                if self._key_locks is None:
                    self._key_locks = files.KeyLocks(Path(str(self.path) + ".lock"), self.busy_timeout)
        return self._key_locks

    @contextmanager
    def serialized(self, key: str) -> Iterator[SqliteDatabase]:
        """Holds `key` exclusively across threads and processes for the block (turns of one session
        run one after the other); statements inside are separate transactions. Yields self."""
        with self._locks().hold(key):
            yield self

    def try_claim(self, key: str) -> bool:
        """Take `key` without waiting, across processes, until release_claim(key) or this process ends."""
        return self._locks().try_acquire(key)

    def release_claim(self, key: str) -> None:
        self._locks().release(key)

    def compact(self) -> None:
        """Make deletions physical: the WAL copied into the file and truncated, free pages dropped."""
        def run(conn):
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")

        if not self._readonly:
            self._run(run, "compact")

    def checkpoint(self) -> None:
        """Copy the WAL into the file and empty it (old page images must not linger there)."""
        if not self._readonly:
            self._run(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)"), "checkpoint")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def corrupt_copies(self) -> list[Path]:
        return sorted(self.path.parent.glob(f"{self.path.name}*.corrupt-*"))

