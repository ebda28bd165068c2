"""LLM mode against the scripted fake server: a fresh server per test, the real engine (shared
index), an LLMAssistant pointed at the server with a short deadline."""

from __future__ import annotations

import pytest

from tests.fakes.fake_openai import FakeOpenAI

DEADLINE_S = 3.0


@pytest.fixture()
def fake():
    with FakeOpenAI() as server:
        yield server


def make_assistant(engine, fake, **limits):
    from bot.llm.assistant import LLMAssistant, TurnLimits
    from bot.llm.client import ChatModel
    from bot.llm.limits import Limits

    settings = TurnLimits(**{"timeout_s": DEADLINE_S, "turns_per_minute": 0, "daily_tokens": 0, **limits})
    model = ChatModel(base_url=fake.base_url, api_key="test-key", model="fake-model")
    return LLMAssistant(engine, model, limits=Limits(None), settings=settings)


@pytest.fixture()
def llm(engine, fake):
    return make_assistant(engine, fake)


@pytest.fixture()
def core(knowledge, data_dir):
    """A second, deterministic engine: what deterministic mode answers for the same messages."""
    from bot.dialogue.engine import Engine
    from bot.dialogue.store import MemorySessionStore

    return Engine(MemorySessionStore(), data_dir=data_dir, knowledge=knowledge)


@pytest.fixture(scope="session", autouse=True)
def warm(knowledge):
    """The index built and langchain imported before any deadline starts counting."""
    import langchain_openai  # noqa: F401

    knowledge.retriever  # noqa: B018
