"""PostgreSQL backend (POLICYBOT_DATABASE_URL=postgresql://…): psycopg 3 with a connection pool.

The same interface as the SQLite backend (query / write / serialized / migrations), so every
store is written once. `serialized(key)` is one transaction that first takes
`pg_advisory_xact_lock(<64-bit hash of component and key>)`: turns of one session run one after
the other across processes and machines, and the lock goes with the transaction, so a worker that
is killed mid-turn (its connection closes, the server rolls back) leaves the session exactly as it
was before that turn. Every connection sets lock_timeout (the busy timeout: past it, StoreBusy),
statement_timeout and idle_in_transaction_session_timeout (a worker that hangs, or a machine that
vanishes, cannot hold a session's lock for long).

One unit of work per thread: inside a `serialized` block every statement the same thread runs on
the same database URL, through any PostgresDatabase (the web store's and the session store's), joins
that block's transaction; a nested `serialized` block is a savepoint with its own advisory lock. So a
web turn (the web's rows and the engine's session) commits as one, or not at all, on one
connection (no second connection is waited for while one is held, so a pool cannot deadlock).
Work the block hands to another thread is not part of it, and waits for the block's locks.

One pool per database URL and process (`pool_for`), shared by the session, Telegram and web
stores. Connections are named `policybot-<pid>` (pg_stat_activity shows which worker holds what).
psycopg is imported only here, so the SQLite default never loads it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.storage.errors import StoreBusy, StoreError, StoreFull, StoreReadOnly, StoreUnavailable
from bot.storage.migrations import Migration, pending

log = logging.getLogger(__name__)

POOL_MAX = 8
_MIGRATION_LOCK = 0x706F6C6963790001  # "policy" + 1: one migrator at a time, all components
_POOLS: dict[tuple[int, str], ConnectionPool] = {}
_POOLS_GUARD = threading.Lock()
_AMBIENT = threading.local()  # url -> the connection of this thread's open `serialized` block


def lock_id(component: str, key: str) -> int:
    """A signed 64-bit advisory lock id for (component, key)."""
    digest = hashlib.blake2b(f"{component}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def classify(exc: BaseException, where: str) -> StoreError:
    """The StoreError for a psycopg error. Only the class and SQLSTATE go into the message (the
    server's text can quote values)."""
    state = getattr(exc, "sqlstate", None) or ""
    what = f"{where}: {type(exc).__name__}{' ' + state if state else ''}"
    if isinstance(exc, PoolTimeout):
        return StoreUnavailable(f"{what} (no database connection in time: server down or all connections busy)")
    if isinstance(exc, pg_errors.LockNotAvailable | pg_errors.QueryCanceled | pg_errors.DeadlockDetected
                  | pg_errors.SerializationFailure):
        return StoreBusy(what)
    if isinstance(exc, pg_errors.DiskFull) or state.startswith("53"):
        return StoreFull(what)
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction | pg_errors.InsufficientPrivilege):
        return StoreReadOnly(what)
    return StoreUnavailable(what)


def pool_for(url: str, *, busy_timeout: float = 5.0, max_size: int = POOL_MAX) -> ConnectionPool:
    """The process's pool for `url` (a forked child gets its own)."""
    key = (os.getpid(), url)
    with _POOLS_GUARD:
        pool = _POOLS.get(key)
        if pool is None:
            timeout_ms = int(busy_timeout * 1000)

            def configure(conn: psycopg.Connection) -> None:
                conn.execute(f"SET lock_timeout = {timeout_ms}")
                conn.execute("SET statement_timeout = 30000")
                conn.execute("SET idle_in_transaction_session_timeout = 60000")

            pool = ConnectionPool(
                url, min_size=1, max_size=max_size, open=False, name="policybot",
                kwargs={"autocommit": True, "application_name": f"policybot-{os.getpid()}", "connect_timeout": 5},
                configure=configure, check=ConnectionPool.check_connection, timeout=busy_timeout + 1,
                reconnect_timeout=30,
            )
            pool.open(wait=False)
            _POOLS[key] = pool
        return pool


def close_pools() -> None:
    with _POOLS_GUARD:
        for (pid, _), pool in list(_POOLS.items()):
            if pid == os.getpid():
                pool.close()
        _POOLS.clear()


def _ambient() -> dict:
    held = getattr(_AMBIENT, "held", None)
    if held is None:
        held = _AMBIENT.held = {}
    return held


def _sql(statement: str) -> str:
    """`?` placeholders (the stores' SQL) to psycopg's `%s`."""
    return statement.replace("%", "%%").replace("?", "%s")


class _Transaction:
    """query / write on one open transaction (what `serialized` yields)."""

    def __init__(self, cursor: psycopg.Cursor) -> None:
        self._cur = cursor

    def query(self, sql: str, args: Sequence = ()) -> list[tuple]:
        self._cur.execute(_sql(sql), tuple(args))
        return self._cur.fetchall() if self._cur.description else []

    def write(self, *statements: tuple[str, Sequence]) -> list[list[tuple]]:
        return [self.query(sql, args) for sql, args in statements]


class PostgresDatabase:
    kind = "postgres"

    def __init__(self, url: str, migrations: Sequence[Migration], *, component: str, busy_timeout: float = 5.0):
        self.url = url
        self.component = component
        self.migrations = list(migrations)
        self.busy_timeout = busy_timeout
        self._ready = False
        self._guard = threading.Lock()
        self._claims: psycopg.Connection | None = None  # session advisory locks: gone with the process
        self._claims_guard = threading.Lock()

    @contextmanager
    def _transaction(self, where: str, *, hold: bool = False) -> Iterator[_Transaction]:
        """A transaction on a pooled connection, or, inside this thread's `serialized` block on the
        same URL, a savepoint of that block's transaction. `hold`: make this the thread's block."""
        if not self._ready:
            self._migrate()
        ambient = _ambient().get(self.url)
        try:
            if ambient is not None:  # a savepoint: rolled back alone if this part fails
                with ambient.transaction(), ambient.cursor() as cur:
                    yield _Transaction(cur)
                return
            with pool_for(self.url, busy_timeout=self.busy_timeout).connection() as conn:
                with conn.transaction(), conn.cursor() as cur:
                    if hold:
                        _ambient()[self.url] = conn
                    try:
                        yield _Transaction(cur)
                    finally:
                        if hold:
                            _ambient().pop(self.url, None)
        except psycopg.Error as exc:
            raise classify(exc, f"postgres {self.component} ({where})") from exc

    def _migrate(self) -> None:
        with self._guard:
            if self._ready:
                return
            try:
                with pool_for(self.url, busy_timeout=self.busy_timeout).connection() as conn:
                    with conn.transaction(), conn.cursor() as cur:
                        cur.execute("SET LOCAL lock_timeout = 60000")  # another worker may be migrating
                        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                        cur.execute(
                            "CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, "
                            "version INTEGER NOT NULL, applied DOUBLE PRECISION NOT NULL, "
                            "PRIMARY KEY (component, version))"
                        )
                        cur.execute("SELECT version FROM schema_migrations WHERE component = %s", (self.component,))
                        applied = {v for (v,) in cur.fetchall()}
                        for migration in pending(self.migrations, applied):
                            for statement in migration.postgres:
                                cur.execute(statement)
                            cur.execute(
                                "INSERT INTO schema_migrations VALUES (%s, %s, extract(epoch from now()))",
                                (self.component, migration.version),
                            )
                            log.info("postgres %s schema migrated to version %d", self.component, migration.version)
            except psycopg.Error as exc:
                raise classify(exc, f"postgres {self.component} (migration)") from exc
            self._ready = True

    # -- the interface shared with the SQLite backend ---------------------------------------------
    def query(self, sql: str, args: Sequence = ()) -> list[tuple]:
        with self._transaction("read") as tx:
            return tx.query(sql, args)

    def write(self, *statements: tuple[str, Sequence]) -> list[list[tuple]]:
        with self._transaction("write") as tx:
            return tx.write(*statements)

    @contextmanager
    def serialized(self, key: str) -> Iterator[_Transaction]:
        """One transaction holding `key`'s advisory lock; whatever this thread does on this URL
        inside it (any store) is part of it, and commits with it."""
        with self._transaction("turn", hold=True) as tx:
            tx.query("SELECT pg_advisory_xact_lock(?)", (lock_id(self.component, key),))
            yield tx

    def _claim_call(self, sql: str, key: str) -> bool:
        with self._claims_guard:
            for attempt in range(2):
                try:
                    if self._claims is None or self._claims.closed:
                        self._claims = psycopg.connect(self.url, autocommit=True, connect_timeout=5,
                                                       application_name="policybot-claims")
                    return bool(self._claims.execute(sql, (lock_id(self.component, key),)).fetchone()[0])
                except psycopg.OperationalError as exc:  # the connection broke: its locks are gone too
                    self._claims = None
                    if attempt:
                        raise classify(exc, f"postgres {self.component} (claim)") from exc
                except psycopg.Error as exc:
                    raise classify(exc, f"postgres {self.component} (claim)") from exc
        return False

    def try_claim(self, key: str) -> bool:
        """Take `key` without waiting, across workers and machines, until release_claim(key) or this
        process ends (the server drops a session's advisory locks with its connection)."""
        return self._claim_call("SELECT pg_try_advisory_lock(%s)", key)

    def release_claim(self, key: str) -> None:
        self._claim_call("SELECT pg_advisory_unlock(%s)", key)

    def compact(self) -> None:
        """Nothing to do: deleted rows are gone for every query at once; autovacuum reclaims the space."""

    def checkpoint(self) -> None:
        """Nothing to do (SQLite's WAL truncation has no counterpart a client can ask for)."""

    def close(self) -> None:
        """The claims connection; the pool is shared per process (close_pools() closes it)."""
        with self._claims_guard:
            if self._claims is not None:
                self._claims.close()
                self._claims = None
