"""Versioned schema migrations, per component ("sessions", "telegram"), for both backends.

Each migration is a version number and its statements for SQLite and for PostgreSQL; the table
`schema_migrations (component, version, applied)` records what ran. A backend applies the pending
ones in order, in one transaction, under a lock (BEGIN IMMEDIATE / an advisory lock), so workers
starting together migrate once. Version 1 of each component is the schema the project had before
migrations existed, written with IF NOT EXISTS, so an existing data dir is adopted as it is.
Never edit a released migration: add the next version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


def pending(migrations: Iterable[Migration], applied: set[int]) -> list[Migration]:
    return sorted((m for m in migrations if m.version not in applied), key=lambda m: m.version)
