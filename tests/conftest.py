"""Shared fixtures: one retrieval index per test session (built once into a temp data dir)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `tests.fakes` must import however pytest was started
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("policybot-data")


@pytest.fixture(scope="session")
def knowledge(data_dir):
    from bot.dialogue.engine import Knowledge

    return Knowledge(data_dir)


@pytest.fixture()
def engine(knowledge, data_dir):
    from bot.dialogue.engine import Engine
    from bot.dialogue.store import MemorySessionStore

    return Engine(MemorySessionStore(), data_dir=data_dir, knowledge=knowledge)


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for the whole run (started on first use; tests/fakes/postgres.py)."""
    from tests.fakes.postgres import PostgresServer, find_bin_dir

    if find_bin_dir() is None:
        message = "PostgreSQL is not installed: run .ci/ensure-postgresql (CI installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with PostgresServer() as server:
        yield server


@pytest.fixture()
def pg_url(pg_server) -> str:
    """A fresh, empty database on the session's server."""
    return pg_server.create_database()
