"""Store faults: what a database can do to a turn, as a tree (the engine catches the root).

    StoreError                  the store could not be used; the caller answers anyway, unsaved
    ├── InvalidSessionId        (also ValueError) empty, longer than 128, or other characters
    ├── StoreBusy               another writer held the lock past the busy timeout; nothing changed
    ├── StoreUnavailable        the store cannot be used right now; nothing changed
    │   ├── StoreFull           the disk (or the server's disk) is full
    │   └── StoreReadOnly       a read-only or unwritable data dir / database
    └── StoreCorrupt            the file failed an integrity check: moved aside, a fresh one started

Messages never carry user text or figures: only the database's own words (error names, paths)
go into them, so a log line built from one is safe at every level.
"""

from __future__ import annotations

import re


class StoreError(Exception):
    """Base of every store fault a front end must survive."""


class InvalidSessionId(StoreError, ValueError):
    pass


class StoreBusy(StoreError):
    pass


class StoreUnavailable(StoreError):
    pass


class StoreFull(StoreUnavailable):
    pass


class StoreReadOnly(StoreUnavailable):
    pass


class StoreCorrupt(StoreError):
    pass


SESSION_ID_MAX = 128
_SESSION_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.:@-]{{0,{SESSION_ID_MAX - 1}}}")
SESSION_ID_HINT = (
    f"会话 ID 须为 1–{SESSION_ID_MAX} 个字符，以字母或数字开头，只含字母、数字和 - _ . : @，"
    "例如 --session s-demo"
)


def validate_session_id(session_id: object) -> str:
    """`session_id` itself when it is acceptable, else InvalidSessionId (its message is the hint)."""
    if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
        raise InvalidSessionId(SESSION_ID_HINT)
    return session_id
