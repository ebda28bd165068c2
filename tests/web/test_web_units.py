"""Pure pieces of bot/web: thread splitting, drafts, Markdown export, the benefit table's words,
totals, the rate limiter, the lockout counter, options and multi-select."""

from __future__ import annotations

import re

import pytest

from bot.dialogue.reply import Citation, Option, Reply
from bot.web.drafts import case_markdown, draft_text, split_thread
from bot.web.render import article_label, benefit_row, totals, view
from bot.web.security import RateLimiter
from bot.web.store import CaseRow, TurnRow, WebStore
from bot.web.turns import is_multi_select, options_of, resolve
from calculators.models import Benefit

HITECH = Benefit(article=15, clause="15.2", item="国家高新技术企业奖补", amount_yuan=300000, basis="fixed",
                 period="one_time", formula="定额 30万元", note="须符合一定条件")
RD = Benefit(article=16, clause="16.1", item="研发投入分档支持", amount_yuan=5_000_000, basis="up_to",
             period="per_year", formula="每年最高500万元")
PENDING = Benefit(article=13, clause="13.1", item="中试基地补助", amount_yuan=0, basis="computed", period="one_time",
                  formula="待补充", missing=["rd_investment_last_year"])


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        ("高企能拿多少", ["高企能拿多少"]),
        ("  \n ", []),
        ("客户：你好\n客服：您好，请讲\n客户：我们是高企\n能拿多少", ["你好", "我们是高企\n能拿多少"]),
        ("用户: 研发投入1200万\n坐席: 好的\n用户: 能补多少", ["研发投入1200万", "能补多少"]),
        ("客户张总：首台套怎么补\n张经理 10:32\n客服：稍等", ["首台套怎么补"]),
        ("客服：您好\n客户：我们是孵化器", ["我们是孵化器"]),
    ],
)
def test_split_thread(text, messages):
    assert split_thread(text) == messages


def test_benefit_rows_say_basis_and_period_in_words():
    row = benefit_row(HITECH)
    assert (row.amount, row.period, row.clause) == ("30万元", "一次性", "第（十五）条 15.2")
    assert row.basis.startswith("定额")
    up = benefit_row(RD)
    assert up.amount == "最高500万元" and up.period == "每年" and "上限" in up.basis
    pending = benefit_row(PENDING)
    assert pending.amount == "待补充数据后计算" and pending.missing == ["上年度研发投入"]


def test_totals_keep_caps_apart():
    lines = totals([HITECH, RD]).lines
    assert lines[0] == "确定金额合计：一次性（含按项目） 30万元"
    assert "最高合计" in lines[1] and "每年 500万元" in lines[1]


def test_article_labels():
    assert article_label(15, "15.2") == "第（十五）条 15.2" and article_label(30) == "第（三十）条"
    assert article_label(20) == "第（二十）条" and article_label(1) == "第（一）条"


def reply(**kw) -> Reply:
    base = dict(session="s", reply="根据政策原文……", benefits=[HITECH],
                citations=[Citation(article=15, clause="15.2", title="支持科技企业“双倍增”",
                                    quote="对符合一定条件的国家高新技术企业给予30万元科研经费奖补")],
                asks=["贵单位上年度研发投入是多少？"], departments=["市科学技术局"])
    base.update(kw)
    return Reply(**base)


def test_draft_adds_only_what_the_reply_does_not_say():
    text = draft_text(reply())
    assert text.startswith("您好！") and "30万元" in text and "15.2" in text
    assert "贵单位上年度研发投入是多少？" in text and "市科学技术局" in text
    said = draft_text(reply(reply="国家高新技术企业奖补：30万元。咨询：市科学技术局。贵单位上年度研发投入是多少？"))
    assert said.count("国家高新技术企业奖补") == 1 and said.count("市科学技术局") == 1


def test_markdown_export_is_inert():
    row = TurnRow(1, "message", "[点我](javascript:alert(1)) <script>x</script>", None, reply(), "<b>草稿</b>", 0.0)
    md = case_markdown(CaseRow("c1", "wang", "<img src=x>", 0.0, 0.0), [row])
    assert not re.search(r"(?<!\\)<", md) and "](javascript" not in md  # every < and [ escaped
    assert "\\[点我\\]" in md and "| 国家高新技术企业奖补 | 30万元 |" in md and "\\<b\\>草稿\\</b\\>" in md


def test_options_fall_back_to_choices_and_resolve_ids_or_labels():
    plain = Reply(session="s", reply="?", choices=["企业", "高校"])
    assert options_of(plain) == [Option(id="企业", label="企业"), Option(id="高校", label="高校")]
    ids = Reply(session="s", reply="?", choices=["企业"], options=[Option(id="org:enterprise", label="企业")])
    offered = options_of(ids)
    assert resolve("企业", offered).id == "org:enterprise" and resolve("org:enterprise", offered).label == "企业"
    assert resolve("高校", offered) is None


def test_multi_select_is_toggles_and_a_finish():
    assert is_multi_select(options_of(Reply(session="s", reply="", choices=["高企", "科小", "完成"])))
    assert is_multi_select([Option(id="t:a", label="A"), Option(id="t:b", label="B"), Option(id="t:done", label="好了")])
    assert not is_multi_select(options_of(Reply(session="s", reply="", choices=["企业", "高校", "医院"])))
    v = view(Reply(session="s", reply="", choices=["高企", "科小", "都没有"]))
    assert [o.label for o in v.finish] == ["都没有"] and [o.label for o in v.toggles] == ["高企", "科小"]


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_rate_limiter_bursts_then_slows_then_refuses():
    clock = Clock()
    limiter = RateLimiter(per_s=10, burst=3, max_wait=1.0, clock=clock)
    assert [limiter.reserve("a") for _ in range(3)] == [(True, 0.0)] * 3
    allowed, wait = limiter.reserve("a")  # the 4th waits its turn (0.1 s)
    assert allowed and wait == pytest.approx(0.1)
    for _ in range(9):
        assert limiter.reserve("a")[0]
    allowed, retry = limiter.reserve("a")  # 1 s of waiting already queued: refused
    assert not allowed and retry > 0
    assert limiter.reserve("b") == (True, 0.0)  # per client
    clock.t += 5
    assert limiter.reserve("a") == (True, 0.0)


def test_lockout_counter(tmp_path):
    store = WebStore(tmp_path / "web.sqlite3")
    assert store.record_failure("x", max_failures=3, lockout_s=60) == (1, 0.0)
    assert store.record_failure("x", max_failures=3, lockout_s=60) == (2, 0.0)
    failures, locked = store.record_failure("x", max_failures=3, lockout_s=60)
    assert failures == 3 and locked > 0 and store.locked_until("x") == locked
    store.clear_failures("x")
    assert store.locked_until("x") == 0.0


def test_conversation_collapses_multi_select_presses():
    from bot.web.chat import conversation

    q = dict(session="s", asks=["可多选？"], choices=["高企", "科小", "完成"])
    rows = [
        TurnRow(1, "text", "开始", None, Reply(reply="请选择", **q), None, 0),
        TurnRow(2, "choice", "高企", "高企", Reply(reply="已选：高企", **q), None, 0),
        TurnRow(3, "choice", "科小", "科小", Reply(reply="已选：高企、科小", **q), None, 0),
        TurnRow(4, "choice", "高企", "高企", Reply(reply="已选：科小", **q), None, 0),
    ]
    items = conversation(rows)
    bots = [i for i in items if i["who"] == "bot"]
    assert [b["view"].text for b in bots] == ["请选择", "已选：科小"]
    assert [i["chip"] for i in items if i["who"] == "user"] == [None, "on", "on", "undo"]
    assert bots[-1]["latest"] and bots[-1]["selected"] == {"科小"}


@pytest.mark.parametrize("target", ["/copilot", "/copilot/cases/abc_-1"])
def test_login_next_stays_on_the_copilot(target):
    from bot.web.copilot import safe_next

    assert safe_next(target) == target


@pytest.mark.parametrize("target", ["//evil.example", "/copilot\\\\..\\\\evil", "/copilot//evil.example", "https://x",
                                    "/copilot/../admin", "/copilot.evil", None, 5])
def test_login_next_refuses_elsewhere(target):
    from bot.web.copilot import safe_next

    assert safe_next(target) == "/copilot"


def test_purge_forgets_idle_chats_not_cases(tmp_path):
    import time

    store = WebStore(tmp_path / "web.sqlite3")
    r = Reply(session="s", reply="好")
    store.append_turn("chat-old", kind="text", text="旧", reply=r)
    store.set_last_options("api-old", [])
    store.append_turn("case-1", kind="message", text="案例", reply=r)
    cutoff = time.time() + 1
    assert store.purge_before(cutoff) == 2
    assert store.turns("chat-old") == [] and store.last_options("api-old") is None
    assert len(store.turns("case-1")) == 1
