"""Private files in the data dir: directories 0700, files 0600, and per-key locks across processes."""

from __future__ import annotations

import errno
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.storage.errors import StoreBusy, StoreError, StoreFull, StoreReadOnly, StoreUnavailable

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """`path` (and missing parents) created 0700; an existing one is tightened when we own it."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    tighten(path, DIR_MODE)
    return path


def tighten(path: Path, mode: int) -> None:
    """chmod `path` to `mode` when it is wider; silently not when we may not (a read-only dir)."""
    try:
        if os.stat(path).st_mode & 0o777 & ~mode:
            os.chmod(path, mode)
    except OSError:
        pass


def private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if it is missing (SQLite gives its -wal and -shm files
    the mode of the database file), or tighten an existing one."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
    except OSError as exc:
        if not Path(path).exists():
            raise os_error(exc, f"cannot create {path}") from exc
    tighten(path, FILE_MODE)


def os_error(exc: OSError, what: str) -> StoreError:
    """The StoreError for an OSError of the file system."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreFull(f"{what}: disk full")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreReadOnly(f"{what}: read-only or not writable ({errno.errorcode.get(exc.errno, exc.errno)})")
    return StoreUnavailable(f"{what}: {type(exc).__name__} {errno.errorcode.get(exc.errno or 0, exc.errno)}")


class KeyLocks:
    """Exclusive per-key locks across threads and processes: one byte of a lock file per key (hashed).

    POSIX record locks belong to the process, so a thread lock is taken first. A hash collision
    only makes two keys wait for each other. Waiting is bounded: past `timeout` seconds StoreBusy.
    Where the lock file cannot be opened (no fcntl, a read-only dir) only the thread locks remain:
    nothing can be written there anyway.
    """

    SLOTS = 1 << 24

    def __init__(self, path: Path, timeout: float) -> None:
        self.timeout = timeout
        self._threads: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._fcntl = None
        try:
            import fcntl

            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
            tighten(path, FILE_MODE)
            self._fcntl = fcntl
        except (ImportError, OSError):
            pass

    def _offset(self, key: str) -> int:
        return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big") % self.SLOTS

    def try_acquire(self, key: str) -> bool:
        """Take `key` without waiting (held until release(key), by whichever thread)."""
        lock = self._thread_lock(key)
        if not lock.acquire(blocking=False):
            return False
        if self._fcntl is None:
            return True
        try:
            self._fcntl.lockf(self._fd, self._fcntl.LOCK_EX | self._fcntl.LOCK_NB, 1, self._offset(key))
            return True
        except OSError:
            lock.release()
            return False

    def release(self, key: str) -> None:
        if self._fcntl is not None:
            self._fcntl.lockf(self._fd, self._fcntl.LOCK_UN, 1, self._offset(key))
        with self._guard:
            lock = self._threads.pop(key, None)
        if lock is not None and lock.locked():
            lock.release()

    def _thread_lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._threads.setdefault(key, threading.Lock())

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        deadline = time.monotonic() + self.timeout
        lock = self._thread_lock(key)
        if not lock.acquire(timeout=self.timeout):
            raise StoreBusy("session lock held by another thread past the busy timeout")
        try:
            if self._fcntl is None:
                yield
                return
            offset = self._offset(key)
            delay = 0.002
            while True:
                try:
                    self._fcntl.lockf(self._fd, self._fcntl.LOCK_EX | self._fcntl.LOCK_NB, 1, offset)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EACCES, errno.EAGAIN) or time.monotonic() >= deadline:
                        raise StoreBusy("session lock held by another process past the busy timeout") from exc
                    time.sleep(delay)
                    delay = min(delay * 2, 0.05)
            try:
                yield
            finally:
                self._fcntl.lockf(self._fd, self._fcntl.LOCK_UN, 1, offset)
        finally:
            lock.release()
