"""The replay goldens (tests/dialogues) in LLM mode: a fake model that restates the core's answer,
every typed turn through the model and the guard, every expectation still met."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.replay import EngineTransport, load_dialogue, run_dialogue
from bot.replay.report import failure_text
from tests.fakes.fake_openai import FakeOpenAI, restate_core_answer
from tests.llm.conftest import make_assistant

DIALOGUES = Path(__file__).resolve().parents[1] / "dialogues"
FILES = sorted(p for p in DIALOGUES.rglob("*") if p.suffix in (".yaml", ".yml"))


class TracingTransport(EngineTransport):
    def __init__(self, assistant):
        super().__init__(assistant)
        self.traces = []

    def turn(self, session, text, choice):
        reply, trace = self.engine.turn_traced(session, text, choice=choice)
        self.traces.append(trace)
        return reply


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI(default=restate_core_answer) as fake:
        yield fake


@pytest.fixture(scope="module")
def transport(server, knowledge, data_dir, warm):
    from bot.dialogue.engine import Engine
    from bot.dialogue.store import MemorySessionStore

    engine = Engine(MemorySessionStore(), data_dir=data_dir, knowledge=knowledge)
    return TracingTransport(make_assistant(engine, server, timeout_s=10))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(DIALOGUES)) for p in FILES])
def test_golden_in_llm_mode(path: Path, transport: TracingTransport):
    start = len(transport.traces)
    result = run_dialogue(load_dialogue(path), transport)
    if not result.ok:
        pytest.fail(failure_text(result), pytrace=False)
    traces = transport.traces[start:]
    assert [t.cause for t in traces if t.cause] == []  # the guard passed every restated answer


def test_typed_turns_went_through_the_model(transport, server):
    """Every typed turn is a model call (also when this test runs alone): three typed turns,
    three traces in LLM mode, three more requests at the fake server."""
    start, requests = len(transport.traces), len(server.requests)
    for text in ("国家高新技术企业奖多少", "那自治区科技领军企业呢", "要找哪个部门"):
        transport.turn("typed-turns", text, None)
    traces = transport.traces[start:]
    assert [t.mode for t in traces] == ["llm"] * 3
    assert len(server.requests) - requests >= 3
