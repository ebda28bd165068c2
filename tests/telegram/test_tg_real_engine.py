"""End to end with the real engine (bot.dialogue.engine.build_engine) behind the real PTB stack.

In-process for the guided form and a one-shot question; as processes (`python -m bot.telegram_app`)
for kill -9 mid-form + restart and for /delete (the data dir, logs included, is searched after).
"""

from __future__ import annotations

import pytest

from bot.telegram import texts
from tests.fakes.fake_telegram import parse_html, utf16_len
from tests.telegram.tg_harness import polling_started, running_bot

engine_module = pytest.importorskip("bot.dialogue.engine")
ENTRY = ["-m", "bot.telegram_app"]
HNTE = "国家高新技术企业"
HNTE_QUOTE = "对符合一定条件的国家高新技术企业给予30万元科研经费奖补"


def assert_valid_messages(tg) -> None:
    for call in tg.calls_to("sendMessage") + tg.calls_to("editMessageText"):
        text = call.params["text"]
        assert utf16_len(text) <= 4096
        if call.params.get("parse_mode") == "HTML":
            parse_html(text)


async def finish_form(tg, chat_id: int, already: int) -> str:
    """Press 完成 and answer what else the engine asks (first choice / a figure) until the report."""
    tg.press(chat_id, "完成")
    count = already + 1
    for _ in range(8):
        last = (await tg.replies(chat_id, count))[-1]
        if "测算结果" in last or "资金项目" in last:
            return last
        if tg.buttons(chat_id):
            tg.press(chat_id, tg.buttons(chat_id)[0])
        else:
            tg.user_says(chat_id, "1000万")
        count += 1
    raise AssertionError(f"no report after {count} messages: {tg.texts(chat_id)[-3:]}")


async def test_guided_form_with_button_presses(fake_tg, tg_settings):
    engine = engine_module.build_engine(tg_settings)
    async with running_bot(tg_settings, engine):
        fake_tg.user_says(50, "/check")
        await fake_tg.replies(50, 1)
        assert "企业" in fake_tg.buttons(50)
        fake_tg.press(50, "企业")
        await fake_tg.replies(50, 2)
        assert HNTE in fake_tg.buttons(50)
        fake_tg.press(50, HNTE)  # multi-select: the question is edited in place
        await fake_tg.until(lambda: f"已选：{HNTE}" in fake_tg.texts(50)[1], what="selection shown")
        assert len(fake_tg.texts(50)) == 2 and "完成" in fake_tg.buttons(50)
        report = await finish_form(fake_tg, 50, already=2)
        assert "国家高新技术企业奖补" in report and "30万元" in report
        assert f"「第（十五）条 15.2」支持科技企业“双倍增”\n“{HNTE_QUOTE}" in report
        assert_valid_messages(fake_tg)


async def test_one_shot_question_with_citations(fake_tg, tg_settings, knowledge, data_dir, tmp_path):
    """Free questions go through retrieval: the session-wide index (tests/conftest.py) is shared."""
    from bot.dialogue.store import SqliteSessionStore

    engine = engine_module.Engine(SqliteSessionStore(tmp_path / "sessions.sqlite3"), data_dir=data_dir, knowledge=knowledge)
    async with running_bot(tg_settings, engine):
        fake_tg.user_says(51, "高企能拿多少")
        [reply] = await fake_tg.replies(51, 1, timeout=180)  # the first search may build the index
        assert "30万元" in reply and "「第（十五）条 15.2」" in reply and HNTE_QUOTE in reply
        fake_tg.user_says(51, "/article 15")
        assert "15.2" in (await fake_tg.replies(51, 2))[1]
        assert_valid_messages(fake_tg)


async def test_kill_9_mid_form_then_restart_continues(fake_tg, tg_settings, bot_process):
    first = bot_process(ENTRY, tg_settings)
    await polling_started(fake_tg, first, after=0)
    fake_tg.user_says(52, "/check")
    await fake_tg.replies(52, 1)
    fake_tg.press(52, "企业")
    await fake_tg.replies(52, 2)
    press = fake_tg.press(52, HNTE)
    await fake_tg.until(lambda: f"已选：{HNTE}" in fake_tg.texts(52)[1], what="selection shown")
    first.kill()

    fake_tg.redeliver(press["update_id"])  # unconfirmed at the kill: delivered again, must not toggle twice
    polls = len(fake_tg.calls_to("getUpdates"))
    second = bot_process(ENTRY, tg_settings)
    await polling_started(fake_tg, second, after=polls)
    report = await finish_form(fake_tg, 52, already=2)  # the keyboard sent before the kill is still live
    assert "国家高新技术企业奖补" in report and "30万元" in report
    assert second.stop() == 0
    assert_valid_messages(fake_tg)


async def test_delete_erases_the_chat_from_the_data_dir(fake_tg, tg_settings, bot_process):
    process = bot_process(ENTRY, tg_settings)
    await polling_started(fake_tg, process, after=0)
    fake_tg.user_says(53, "/check")
    await fake_tg.replies(53, 1)
    fake_tg.press(53, "企业")
    await fake_tg.replies(53, 2)
    fake_tg.user_says(53, "我们是鄂尔多斯哨兵科技有限公司，研发投入8765万")
    await fake_tg.replies(53, 3)

    def data_dir_holds(needle: bytes) -> list[str]:
        return [str(p) for p in tg_settings.data_dir.rglob("*") if p.is_file() and needle in p.read_bytes()]

    assert data_dir_holds(b"87650000"), "the figure should be stored before /delete"
    fake_tg.user_says(53, "/delete")
    await fake_tg.replies(53, 4)
    fake_tg.press(53, "确认删除 / Delete")
    await fake_tg.until(lambda: fake_tg.texts(53)[3] == texts.DELETED, what="deleted")
    assert process.stop() == 0
    assert data_dir_holds(b"87650000") == [] and data_dir_holds("哨兵".encode()) == []
    assert data_dir_holds(fake_tg.token.encode()) == []
    assert (tg_settings.data_dir / "logs" / "telegram.log").exists()
