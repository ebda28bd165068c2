"""Building files that several processes read: an inter-process lock, durable writes, atomic publish.

    with build_lock(root):                  # one builder at a time (others wait, then see its result)
        tmp = fresh_tmp(final)              # <final>.tmp-<pid>, stale ones of dead builders removed
        ... write files into tmp ...
        publish(tmp, final)                 # fsync every file and the dir, then rename into place
    with read_lock(root): ... read final ...   # never sees a half-swapped directory

A reader only ever opens a directory that `publish` renamed into place complete, so it never maps a
file another process is still writing (the SIGBUS of a memory-mapped partial file). Locks are
flock(2) on small files beside the data (`.build.lock`, `.publish.lock`), released by the kernel
when a process dies. Where the lock file cannot be created (a read-only data dir) nobody can build
there either, and reading goes ahead without a lock.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no inter-process lock
    fcntl = None


@contextmanager
def _flock(path: Path, exclusive: bool) -> Iterator[None]:
    fd = None
    if fcntl is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            try:
                fd = os.open(path, os.O_RDONLY)  # flock works on a read-only descriptor too
            except OSError:
                fd = None
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        if fd is not None:
            os.close(fd)  # closing releases the lock


def build_lock(root: Path):
    """Exclusive among builders of anything under `root` (held for the whole build)."""
    return _flock(Path(root) / ".build.lock", exclusive=True)


def swap_lock(root: Path):
    """Exclusive while a published directory under `root` is replaced (a rebuild)."""
    return _flock(Path(root) / ".publish.lock", exclusive=True)


def read_lock(root: Path):
    """Shared: a reader of a published directory under `root` sees no swap half done."""
    return _flock(Path(root) / ".publish.lock", exclusive=False)


def fresh_tmp(final: Path) -> Path:
    """An empty `<final>.tmp-<pid>`; call under build_lock: leftovers of builders that died are removed."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    for stale in final.parent.glob(f"{final.name}.tmp*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}")
    tmp.mkdir(mode=0o700)
    return tmp


def remove_stale_tmps(parent: Path) -> None:
    """Every `*.tmp*` / `*.old-*` directory under `parent` (call under build_lock: no builder is alive)."""
    if Path(parent).is_dir():
        for stale in Path(parent).iterdir():
            if (".tmp" in stale.name or ".old-" in stale.name) and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)


def _fsync(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(tmp: Path, final: Path, root: Path) -> None:
    """fsync every file under `tmp` and the directories, then rename `tmp` to `final` (replacing an
    older `final` under swap_lock(root), so readers holding read_lock see the old or the new)."""
    tmp, final = Path(tmp), Path(final)
    for dirpath, _, filenames in os.walk(tmp):
        for name in filenames:
            _fsync(Path(dirpath) / name)
        _fsync(Path(dirpath), directory=True)
    with swap_lock(root):
        old = None
        if final.exists():
            old = final.with_name(f"{final.name}.old-{os.getpid()}")
            shutil.rmtree(old, ignore_errors=True)
            final.rename(old)
        tmp.rename(final)
        _fsync(final.parent, directory=True)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)  # a process that mapped its files keeps them until it unmaps
