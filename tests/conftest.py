"""Shared fixtures: one retrieval index per test session (built once into a temp data dir)."""

from __future__ import annotations

import pytest


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
