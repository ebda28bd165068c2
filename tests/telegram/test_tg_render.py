"""Rendering and splitting (no network): escaping, citations, benefits, ≤ 4096 UTF-16 units, keyboards."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dialogue.reply import Citation, Reply
from bot.telegram.app import file_url_for, normalize_base_url
from bot.telegram.keyboards import MAX_CALLBACK_BYTES, choice_keyboard, new_token, parse_press
from bot.telegram.render import (
    article_label,
    chinese_number,
    render_reply,
    split_html,
    to_plain,
    utf16_len,
    wan,
)
from calculators.models import Benefit
from tests.fakes.fake_telegram import parse_html

CITATION = Citation(article=15, clause="15.2", title="支持科技企业“双倍增”", quote="对符合一定条件的国家高新技术企业给予30万元科研经费奖补")


def test_article_labels_use_chinese_numerals():
    assert [chinese_number(n) for n in (1, 10, 11, 15, 20, 21, 30)] == ["一", "十", "十一", "十五", "二十", "二十一", "三十"]
    assert article_label(15, "15.2") == "「第（十五）条 15.2」"


def test_amounts_in_wan():
    assert wan(300_000) == "30万元"
    assert wan(3_333_300) == "333.33万元"
    assert wan(12_345) == "1.2345万元"
    assert wan(50_000_000) == "5000万元"


def test_citation_and_benefit_rendering():
    benefits = [
        Benefit(article=15, clause="15.2", item="国家高新技术企业奖补", amount_yuan=300_000, basis="fixed",
                period="one_time", formula="定额 30万元", note="须符合一定条件"),
        Benefit(article=16, clause="16.1", item="研发后补助", amount_yuan=2_400_000, basis="computed",
                period="per_year", formula="1200万元 × 20% = 240万元（上限500万元）"),
        Benefit(article=9, clause="9.3", item="平台奖励", amount_yuan=5_000_000, basis="up_to",
                period="per_project", formula="最高 500万元"),
    ]  # fmt: skip
    [chunk] = render_reply(Reply(session="s", reply="结果如下。", citations=[CITATION], benefits=benefits))
    plain = parse_html(chunk.html)
    assert "「第（十五）条 15.2」支持科技企业“双倍增”" in plain
    assert "“对符合一定条件的国家高新技术企业给予30万元科研经费奖补”" in plain
    assert "• 国家高新技术企业奖补：30万元\n  定额 30万元 · 「第（十五）条 15.2」 · 须符合一定条件" in plain
    assert "研发后补助：240万元/年" in plain and "1200万元 × 20% = 240万元（上限500万元）" in plain
    assert "平台奖励：最高500万元/项" in plain
    assert plain == chunk.plain


def test_asks_are_shown_once():
    [chunk] = render_reply(Reply(session="s", reply="好的。", asks=["研发投入是多少？"]))
    assert chunk.plain == "好的。\n\n👉 研发投入是多少？"
    [chunk] = render_reply(Reply(session="s", reply="好的。研发投入是多少？", asks=["研发投入是多少？"]))
    assert chunk.plain == "好的。研发投入是多少？"


def test_html_special_characters_are_escaped_everywhere():
    nasty = "<b>粗</b> & <script>alert(1)</script> *a* _b_ [c](d) &amp; </i> >"
    n = [f"{nasty}#{k}" for k in range(7)]
    cite = Citation(article=3, clause="3.1", title=n[1], quote=n[2])
    benefit = Benefit(article=3, clause="3.1", item=n[3], amount_yuan=1, basis="fixed", period="one_time", formula=n[4])
    reply = Reply(session="s", reply=n[0], asks=[n[5]], citations=[cite], benefits=[benefit], departments=[n[6]])
    [chunk] = render_reply(reply)
    plain = parse_html(chunk.html)  # the fake parses like Telegram's strict HTML mode
    assert all(x in plain for x in n)
    assert "<script>" not in chunk.html and plain == chunk.plain


def test_what_the_engine_text_already_says_is_not_repeated():
    text = (
        "根据政策原文，可适用以下资金项目：\n1. 国家高新技术企业奖补：30万元（一次性）〔第15条 15.2〕\n"
        "   计算：定额 30万元\n咨询/申报部门：市科学技术局"
    )
    benefit = Benefit(article=15, clause="15.2", item="国家高新技术企业奖补", amount_yuan=300_000, basis="fixed",
                      period="one_time", formula="定额 30万元")  # fmt: skip
    reply = Reply(session="s", reply=text, citations=[CITATION], benefits=[benefit], departments=["市科学技术局"])
    [chunk] = render_reply(reply)
    assert chunk.plain.count("国家高新技术企业奖补") == 1 and chunk.plain.count("市科学技术局") == 1
    assert "「第（十五）条 15.2」支持科技企业“双倍增”\n“对符合一定条件的国家高新技术企业给予30万元科研经费奖补”" in chunk.plain


def test_long_reply_is_split_at_paragraphs_within_the_limit():
    paragraphs = [f"第{n}段" + "研发投入后补助😀<&>" * 30 for n in range(60)]
    reply = Reply(session="s", reply="\n\n".join(paragraphs), citations=[CITATION])
    chunks = render_reply(reply)
    assert len(chunks) > 1
    for chunk in chunks:
        assert utf16_len(chunk.html) <= 4096
        parse_html(chunk.html)
        assert chunk.plain.startswith(("第", "<b>", "政策依据", "「")) or chunk.plain[0] in "第政「"
    joined = "\n\n".join(c.plain for c in chunks)
    assert joined.startswith("\n\n".join(paragraphs))  # nothing lost, cuts only between paragraphs


def test_a_single_huge_paragraph_is_split_without_breaking_tags_or_surrogates():
    text = "<b>" + "😀a&amp;好" * 3000 + "</b>"
    pieces = split_html(text, 4096)
    assert len(pieces) >= 3
    for piece in pieces:
        assert utf16_len(piece) <= 4096
        assert piece.startswith("<b>") and piece.endswith("</b>")
        parse_html(piece)
        piece.encode("utf-16-le").decode("utf-16-le")  # no lone surrogate
    assert "".join(to_plain(p) for p in pieces) == "😀a&好" * 3000


_atoms = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40),
    st.sampled_from(["\n", "\n\n", "。", "😀", "👍🏽", "👨‍👩‍👧", "&", "<", ">", "e\u0301"]),
)
_paragraph = st.tuples(st.sampled_from(["", "b", "i"]), st.lists(_atoms, max_size=30).map("".join))


@settings(max_examples=80, deadline=None)
@given(st.lists(_paragraph, min_size=1, max_size=30), st.integers(min_value=40, max_value=400))
def test_split_property(paragraphs, limit):
    from bot.telegram.render import esc

    html = "\n\n".join(f"<{t}>{esc(p)}</{t}>" if t else esc(p) for t, p in paragraphs)
    pieces = split_html(html, limit)
    for piece in pieces:
        assert utf16_len(piece) <= limit
        assert parse_html(piece).strip()
        piece.encode("utf-16-le").decode("utf-16-le")

    def squash(s: str) -> str:
        return "".join(s.split())

    assert squash("".join(to_plain(p) for p in pieces)) == squash(to_plain(html))


def test_callback_data_is_short_for_any_labels():
    labels = ["国家级科技企业孵化器（含众创空间、星创天地等各类载体）" * 3 for _ in range(40)]
    token = new_token()
    markup = choice_keyboard(token, labels)
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert len(data) == 40 and all(len(d.encode()) <= MAX_CALLBACK_BYTES for d in data)
    assert parse_press(data[7]).index == 7 and parse_press(data[7]).token == token
    assert parse_press("garbage") is None and parse_press("c::1") is None and parse_press(None) is None


def test_base_url_and_file_url():
    assert normalize_base_url("http://127.0.0.1:8081") == "http://127.0.0.1:8081/bot"
    assert normalize_base_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/bot"
    assert file_url_for("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
    assert file_url_for("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert normalize_base_url(None) is None
