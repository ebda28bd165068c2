"""The real PTB Application, long polling a fake Bot API server, over the scripted engine."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot.telegram import texts
from tests.telegram.tg_fake_engine import (
    ASK_HNTE,
    ASK_ORG,
    ASK_QUALS,
    ASK_RD,
    ORG_CHOICES,
    QUALS,
    ScriptedEngine,
    long_text,
)
from tests.telegram.tg_harness import running_bot

SENTINEL_COMPANY = "鄂尔多斯哨兵科技有限公司"


def front(app):
    return app.bot_data["front_end"]


def send_attempts(tg, chat_id: int) -> list[int]:
    return [c.status for c in tg.calls_to("sendMessage") if c.params.get("chat_id") == chat_id]


async def reach_rd_question(tg, chat_id: int) -> list[str]:
    """/check -> 企业 -> 完成 (no recognitions): the bot now asks for the R&D spend (typed)."""
    tg.user_says(chat_id, "/check")
    await tg.replies(chat_id, 1)
    tg.press(chat_id, "企业")
    await tg.replies(chat_id, 2)
    tg.press(chat_id, "完成")
    replies = await tg.replies(chat_id, 3)
    assert ASK_RD in replies[2]
    return replies


async def test_commands_are_registered_and_webhook_cleared(fake_tg, bot):
    assert [c["command"] for c in fake_tg.commands] == ["start", "help", "check", "articles", "article", "reset", "delete"]
    assert fake_tg.calls_to("deleteWebhook") and fake_tg.calls_to("getMe")


async def test_start_help_articles_and_article(fake_tg, bot, engine):
    for text in ("/start", "/help", "/articles", "/article 15", "/article", "/nosuch"):
        fake_tg.user_says(1, text)
    replies = await fake_tg.replies(1, 6)
    assert "发送 /check" in replies[0] and replies[0] == replies[1]
    assert "第（30）条" in replies[2]
    assert "「第（十五）条 15.1」政策条目15" in replies[3]
    assert replies[4] == texts.ARTICLE_USAGE and replies[5] == texts.UNKNOWN_COMMAND
    assert engine.turns_of("tg-1") == [("/help", None), ("/help", None), ("/articles", None), ("/article 15", None)]


async def test_commands_without_entities_still_work(fake_tg, bot, engine):
    for text in ("/start", "/article 15", "/check@policy_test_bot", "/check@other_bot", "/delete"):
        fake_tg.user_says(2, text, with_entities=False)
    replies = await fake_tg.replies(2, 4)
    assert "发送 /check" in replies[0] and "第（十五）条" in replies[1] and ASK_ORG in replies[2]
    assert replies[3] == texts.DELETE_ASK
    assert engine.turns_of("tg-2") == [("/help", None), ("/article 15", None), ("/check", None)]


async def test_full_guided_form_with_button_presses(fake_tg, bot, engine):
    fake_tg.user_says(7, "/check")
    await fake_tg.replies(7, 1)
    assert fake_tg.buttons(7) == ORG_CHOICES
    fake_tg.press(7, "高校")
    replies = await fake_tg.replies(7, 2)
    assert ASK_QUALS in replies[1] and fake_tg.buttons(7) == [*QUALS, "完成"]
    assert "reply_markup" not in fake_tg.bot_messages(7)[0]  # the pressed keyboard is removed
    # multi-select: each press is one turn; the question's message is edited in place
    fake_tg.press(7, "科技型中小企业")
    await fake_tg.until(lambda: "已选：科技型中小企业。" in fake_tg.texts(7)[1], what="first selection")
    fake_tg.press(7, "自治区科技领军企业")
    await fake_tg.until(lambda: "已选：科技型中小企业、自治区科技领军企业。" in fake_tg.texts(7)[1], what="second")
    assert len(fake_tg.texts(7)) == 2 and fake_tg.buttons(7) == [*QUALS, "完成"]
    fake_tg.press(7, "完成")
    assert ASK_RD in (await fake_tg.replies(7, 3))[2]
    fake_tg.user_says(7, "1200万")
    await fake_tg.replies(7, 4)
    assert fake_tg.buttons(7) == ["是", "否"]
    fake_tg.press(7, "是")
    report = (await fake_tg.replies(7, 5))[4]
    assert "「第（十五）条 15.2」支持科技企业“双倍增”" in report
    assert "国家高新技术企业奖补：30万元" in report and "研发投入后补助：120万元/年" in report
    assert "国家科技型中小企业科研经费奖补：最高5万元" in report
    assert engine.turns_of("tg-7") == [
        ("/check", None), (None, "高校"), (None, "科技型中小企业"), (None, "自治区科技领军企业"), (None, "完成"),
        ("1200万", None), (None, "是"),
    ]  # fmt: skip
    assert len(fake_tg.calls_to("answerCallbackQuery")) == 5
    assert [c.status for c in fake_tg.calls_to("editMessageText")] == [200, 200]


async def test_a_press_without_its_message_still_counts(fake_tg, bot, engine):
    fake_tg.user_says(6, "/check")
    await fake_tg.replies(6, 1)
    sent = fake_tg.bot_messages(6)[0]
    data = sent["reply_markup"]["inline_keyboard"][0][1]["callback_data"]  # 高校
    fake_tg.press_data(6, sent["message_id"], data, with_message=False)
    assert ASK_QUALS in (await fake_tg.replies(6, 2))[1]
    assert engine.turns_of("tg-6") == [("/check", None), (None, "高校")]


async def test_one_shot_question_with_citations(fake_tg, bot):
    fake_tg.user_says(8, "高企能拿多少？")
    [reply] = await fake_tg.replies(8, 1)
    assert reply.startswith("国家高新技术企业可获得30万元科研经费奖补。")
    assert "「第（十五）条 15.2」支持科技企业“双倍增”\n“对符合一定条件的国家高新技术企业给予30万元科研经费奖补”" in reply
    assert "定额 30万元" in reply
    sent = fake_tg.calls_to("sendMessage")[-1].params
    assert sent["parse_mode"] == "HTML" and "<b>「第（十五）条 15.2」</b>" in sent["text"]


async def test_reply_over_4096_units_is_split_at_paragraphs(fake_tg, bot):
    fake_tg.user_says(9, "长文")
    await fake_tg.until(lambda: len(fake_tg.texts(9)) >= 3 and fake_tg.texts(9)[-1].endswith("”。"), what="all parts")
    await asyncio.sleep(0.2)
    parts = fake_tg.texts(9)
    for call in fake_tg.calls_to("sendMessage"):
        assert len(call.params["text"].encode("utf-16-le")) // 2 <= 4096
    assert all(p.startswith("第") and p.endswith("。") for p in parts)  # cut between paragraphs only
    assert "\n\n".join(parts) == long_text()


async def test_html_special_characters_arrive_verbatim(fake_tg, bot):
    nasty = "<b>&amp; * _ [x](y) </i> <script>alert(1)</script> a<b && c>d"
    fake_tg.user_says(10, "echo:" + nasty)
    assert await fake_tg.replies(10, 1) == [nasty]
    assert send_attempts(fake_tg, 10) == [200]  # never a 400


async def test_parse_error_is_resent_as_plain_text(fake_tg, bot):
    fake_tg.fail_next("sendMessage", 400)  # "Bad Request: can't parse entities: ..."
    fake_tg.user_says(11, "echo:1 < 2 & 3")
    assert await fake_tg.replies(11, 1) == ["1 < 2 & 3"]
    calls = [c for c in fake_tg.calls_to("sendMessage") if c.params.get("chat_id") == 11]
    assert [c.status for c in calls] == [400, 200]
    assert calls[1].params.get("parse_mode") is None


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "document", "location", "contact"])
async def test_non_text_mid_form_reprompts_the_same_question(fake_tg, bot, engine, tg_settings, kind):
    await reach_rd_question(fake_tg, 12)
    fake_tg.user_sends(12, kind)
    reprompt = (await fake_tg.replies(12, 4))[3]
    assert reprompt.startswith(texts.NON_TEXT_NOTE) and ASK_RD in reprompt
    fake_tg.user_says(12, "1200万")
    assert "已记录研发投入 1200万元" in (await fake_tg.replies(12, 5))[4]
    assert engine.turns_of("tg-12") == [("/check", None), (None, "企业"), (None, "完成"), ("1200万", None)]
    assert not fake_tg.calls_to("getFile") and not fake_tg.calls_to("download")

    def holding_the_phone() -> list[str]:
        return [p.name for p in tg_settings.data_dir.rglob("*") if p.is_file() and b"13900001234" in p.read_bytes()]

    # The inbox's WAL copy of the contact update is truncated right after the reply is sent, so
    # it may still be on disk for a moment when the reply arrives.
    await fake_tg.until(lambda: holding_the_phone() == [], timeout=5, what="the phone number gone from the data dir")


async def test_sticker_during_a_button_question_gives_fresh_buttons(fake_tg, bot, engine):
    fake_tg.user_says(13, "/check")
    await fake_tg.replies(13, 1)
    fake_tg.user_sends(13, "sticker")
    reprompt = (await fake_tg.replies(13, 2))[1]
    assert ASK_ORG in reprompt and fake_tg.buttons(13) == ORG_CHOICES
    fake_tg.press(13, "科研院所")  # the fresh keyboard works
    assert ASK_QUALS in (await fake_tg.replies(13, 3))[2]
    assert engine.turns_of("tg-13") == [("/check", None), (None, "科研院所")]


async def test_edited_message_is_not_filed_into_the_next_slot(fake_tg, bot, engine):
    await reach_rd_question(fake_tg, 14)
    answer = fake_tg.user_says(14, "1200万")["message"]
    assert ASK_HNTE in (await fake_tg.replies(14, 4))[3]
    fake_tg.user_edits(14, answer["message_id"], "1500万")
    assert (await fake_tg.replies(14, 5))[4] == texts.EDIT_NOTE
    assert fake_tg.bot_messages(14)[4]["reply_to_message"]["message_id"] == answer["message_id"]
    assert engine.state("tg-14")["profile"]["rd_investment_yuan"] == 12_000_000
    fake_tg.press(14, "否")  # the live question is still 高企?, and its buttons still work
    assert "研发投入后补助：120万元/年" in (await fake_tg.replies(14, 6))[5]
    assert ("1500万", None) not in engine.turns_of("tg-14")


async def test_group_answers_only_commands_mentions_and_replies(fake_tg, bot, engine):
    group = -100500
    fake_tg.user_says(group, "高企能拿多少", chat_type="group")  # not addressed: ignored
    fake_tg.user_sends(group, "sticker", chat_type="group")  # ignored
    fake_tg.user_says(group, "/help@some_other_bot", chat_type="group")  # another bot's command
    mention = fake_tg.user_says(group, "@policy_test_bot 高企能拿多少", chat_type="group")["message"]
    first = await fake_tg.replies(group, 1)
    assert first[0].startswith("国家高新技术企业可获得30万元")
    assert fake_tg.bot_messages(group)[0]["reply_to_message"]["message_id"] == mention["message_id"]
    bot_message = fake_tg.bot_messages(group)[0]["message_id"]
    fake_tg.user_says(group, "echo:回复机器人", chat_type="group", reply_to=bot_message)
    fake_tg.user_says(group, "/help@policy_test_bot", chat_type="group")
    fake_tg.user_says(group, "/check", chat_type="group")
    replies = await fake_tg.replies(group, 4)
    assert replies[1] == "回复机器人" and "发送 /check" in replies[2] and ASK_ORG in replies[3]
    fake_tg.user_edits(group, mention["message_id"] - 1, "edited, not addressed")
    fake_tg.user_says(group, "echo:last", chat_type="group", reply_to=bot_message)
    assert (await fake_tg.replies(group, 5))[4] == "last"
    assert engine.turns_of(f"tg-{group}") == [
        ("高企能拿多少", None), ("echo:回复机器人", None), ("/help", None), ("/check", None), ("echo:last", None)
    ]  # fmt: skip


async def test_stale_buttons_get_a_fresh_prompt(fake_tg, bot, engine):
    fake_tg.user_says(15, "/check")
    await fake_tg.replies(15, 1)
    old = fake_tg.bot_messages(15)[0]
    old_data = [b["callback_data"] for row in old["reply_markup"]["inline_keyboard"] for b in row]
    fake_tg.press(15, "企业")
    await fake_tg.replies(15, 2)
    fake_tg.press_data(15, old["message_id"], old_data[1])  # 高校 on the old (now answered) question
    stale = (await fake_tg.replies(15, 3))[2]
    assert stale.startswith(texts.STALE_BUTTON) and ASK_QUALS in stale
    assert fake_tg.buttons(15) == [*QUALS, "完成"]  # the live question, with fresh buttons
    fake_tg.press_data(15, old["message_id"], "v0:from-an-older-version")
    assert ASK_QUALS in (await fake_tg.replies(15, 4))[3]
    assert engine.turns_of("tg-15") == [("/check", None), (None, "企业")]
    fake_tg.press(15, "完成")  # the newest keyboard is live
    assert ASK_RD in (await fake_tg.replies(15, 5))[4]
    fake_tg.user_says(16, "echo:x")
    await fake_tg.replies(16, 1)
    fake_tg.press_data(16, fake_tg.bot_messages(16)[0]["message_id"], "c:unknown1:0")  # e.g. after a data loss
    assert (await fake_tg.replies(16, 2))[1] == f"{texts.STALE_BUTTON}\n\n{texts.NO_PROMPT}"


async def test_delete_is_confirmed_with_a_button(fake_tg, bot, engine):
    fake_tg.user_says(17, "/check")
    await fake_tg.replies(17, 1)
    fake_tg.user_says(17, "/delete")
    assert (await fake_tg.replies(17, 2))[1] == texts.DELETE_ASK
    fake_tg.press(17, "取消 / Cancel")
    await fake_tg.until(lambda: fake_tg.texts(17)[1] == texts.DELETE_CANCELLED, what="cancel edit")
    assert engine.deleted == []
    fake_tg.user_says(17, "/delete")
    await fake_tg.replies(17, 3)
    fake_tg.press(17, "确认删除 / Delete")
    await fake_tg.until(lambda: fake_tg.texts(17)[2] == texts.DELETED, what="delete edit")
    assert engine.deleted == ["tg-17"]
    assert front(bot).store.get_prompt(17) is None
    fake_tg.press(17, "企业")  # the form's buttons died with the data
    assert (await fake_tg.replies(17, 4))[3] == f"{texts.STALE_BUTTON}\n\n{texts.NO_PROMPT}"


async def test_429_then_success_is_delivered_once(fake_tg, bot, engine):
    fake_tg.fail_next("sendMessage", 429, retry_after=1, chat_id=18)
    started = time.monotonic()
    fake_tg.user_says(18, "echo:hello")
    assert await fake_tg.replies(18, 1) == ["hello"]
    assert time.monotonic() - started >= 1.0
    await asyncio.sleep(0.3)
    assert send_attempts(fake_tg, 18) == [429, 200] and fake_tg.texts(18) == ["hello"]
    assert engine.turns_of("tg-18") == [("echo:hello", None)]


async def test_network_error_is_retried_without_a_second_turn(fake_tg, bot, engine):
    fake_tg.fail_next("sendMessage", 502, chat_id=19)
    fake_tg.user_says(19, "echo:again")
    assert await fake_tg.replies(19, 1) == ["again"]
    assert send_attempts(fake_tg, 19) == [502, 200]
    assert engine.turns_of("tg-19") == [("echo:again", None)]


async def test_403_blocked_marks_the_chat_inactive_without_retrying(fake_tg, bot, engine):
    fake_tg.block(20)
    fake_tg.user_says(20, "echo:are you there")
    fake_tg.user_says(21, "echo:other chats go on")
    assert await fake_tg.replies(21, 1) == ["other chats go on"]
    await fake_tg.until(lambda: front(bot).store.is_inactive(20), what="chat 20 inactive")
    await asyncio.sleep(0.3)
    assert send_attempts(fake_tg, 20) == [403]  # no retry storm, no apology into the void
    fake_tg.unblock(20)
    fake_tg.user_says(20, "echo:back again")
    assert await fake_tg.replies(20, 1) == ["back again"]
    assert not front(bot).store.is_inactive(20)
    fake_tg.my_chat_member(20, "kicked")
    await fake_tg.until(lambda: front(bot).store.is_inactive(20), what="kicked -> inactive")


async def test_engine_failure_is_logged_without_user_figures_and_answered(fake_tg, bot, caplog):
    caplog.set_level(logging.INFO)
    fake_tg.user_says(22, f"boom 8765万 {SENTINEL_COMPANY}")
    assert await fake_tg.replies(22, 1) == [texts.APOLOGY]
    assert "RuntimeError" in caplog.text
    assert "8765" not in caplog.text and SENTINEL_COMPANY not in caplog.text


async def test_logs_never_show_the_token_or_user_figures(fake_tg, bot, caplog):
    caplog.set_level(logging.INFO)
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING  # else it logs URLs with the token
    fake_tg.user_says(23, "/check")
    await fake_tg.replies(23, 1)
    fake_tg.press(23, "企业")
    await fake_tg.replies(23, 2)
    fake_tg.user_says(23, f"8765万，我们是{SENTINEL_COMPANY}")
    await fake_tg.replies(23, 3)
    infos = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert fake_tg.token not in infos and fake_tg.token.split(":")[1] not in infos
    assert "8765" not in infos and SENTINEL_COMPANY not in infos


async def test_duplicate_update_is_processed_once(fake_tg, bot, engine):
    update = fake_tg.user_says(24, "echo:once")
    assert await fake_tg.replies(24, 1) == ["once"]
    fake_tg.redeliver(update["update_id"])
    fake_tg.user_says(24, "echo:twice")
    assert await fake_tg.replies(24, 2) == ["once", "twice"]
    assert engine.turns_of("tg-24") == [("echo:once", None), ("echo:twice", None)]


async def test_two_quick_messages_are_answered_in_order(fake_tg, tg_settings, tmp_path):

    slow_first = ScriptedEngine(tmp_path / "slow.sqlite3", delay=0.05)
    async with running_bot(tg_settings, slow_first):
        for n in range(5):
            fake_tg.user_says(25, f"m{n}")
        assert await fake_tg.replies(25, 5) == [f"收到 m{n}" for n in range(5)]
