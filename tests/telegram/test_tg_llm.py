"""Telegram in LLM mode: "typing…" while the model works, the model's text delivered, and the
deterministic reply when the model fails."""

from __future__ import annotations

from bot.dialogue.engine import Engine
from bot.dialogue.store import MemorySessionStore
from tests.fakes.fake_openai import FakeOpenAI, hang, say, status
from tests.llm.conftest import make_assistant
from tests.telegram.tg_harness import running_bot


def _llm(knowledge, data_dir, fake, **limits):
    import langchain_openai  # noqa: F401  (imported before the deadline counts)

    knowledge.retriever  # noqa: B018
    return make_assistant(Engine(MemorySessionStore(), data_dir=data_dir, knowledge=knowledge), fake, **limits)


async def test_typing_while_the_model_answers(fake_tg, tg_settings, knowledge, data_dir):
    with FakeOpenAI() as fake:
        fake.enqueue(hang(0.5, then=say("您好！国家高新技术企业可获得30万元科研经费奖补〔第15条 15.2〕。")))
        async with running_bot(tg_settings, _llm(knowledge, data_dir, fake)):
            fake_tg.user_says(70, "高企能拿多少")
            texts = await fake_tg.replies(70, 1)
    assert texts[0].startswith("您好！国家高新技术企业可获得30万元")
    actions = fake_tg.calls_to("sendChatAction")
    assert actions and actions[0].params["action"] == "typing" and int(actions[0].params["chat_id"]) == 70
    assert actions[0].at < fake_tg.calls_to("sendMessage")[0].at


async def test_model_failure_gives_the_deterministic_reply(fake_tg, tg_settings, knowledge, data_dir):
    with FakeOpenAI(default=status(500)) as fake:
        async with running_bot(tg_settings, _llm(knowledge, data_dir, fake)):
            fake_tg.user_says(71, "高企能拿多少")
            texts = await fake_tg.replies(71, 1)
            fake_tg.user_says(71, "/help")  # commands never go to the model: no typing for them
            await fake_tg.replies(71, 2)
    assert "30万元" in texts[0] and "智能对话暂时不可用" in texts[0]
    assert len(fake_tg.calls_to("sendChatAction")) == 1 and len(fake.requests) == 1
