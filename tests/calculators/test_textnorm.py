"""calculators.textnorm.normalize: examples, then properties over arbitrary text."""

import time
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calculators.textnorm import MAX_CHARS, normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("３００万", "300万"),
        ("１．５万元", "1.5万元"),
        ("￥３０００", "¥3000"),
        ("100％", "100%"),
        ("ＲＭＢ", "RMB"),
        ("3\u200b00万", "300万"),
        ("1\u200c2\u200d0\u20600\ufeff万", "1200万"),
        ("\u202e300万\u202c", "300万"),
        ("\u2066300\u2069万", "300万"),
        ("٣٠٠万", "300万"),
        ("۳۰۰", "300"),
        ("३००", "300"),
        ("১২", "12"),
        ("٣٫٥万", "3.5万"),
        ("三百萬元", "三百万元"),
        ("研發投入兩億", "研发投入两亿"),
        ("叁佰万", "叁佰万"),
        ("800，900和1000万元。", "800，900和1000万元。"),
        ("上年度研发投入是多少？（万元）", "上年度研发投入是多少？（万元）"),
        ("  研发\n\t投入\u3000300万  ", "研发 投入 300万"),
        ("", ""),
        ("   ", ""),
        ("\u200b\u200b", ""),
        ("🙂🚀", "🙂🚀"),
        ("How much can I get?", "How much can I get?"),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_long_message_is_capped_and_cheap():
    text = "研发投入300万元，" * 1000  # 10,000 characters
    started = time.perf_counter()
    result = normalize(text)
    assert len(result) <= MAX_CHARS
    assert result.startswith("研发投入300万元，")
    assert time.perf_counter() - started < 1.0


@given(st.text())
def test_normalize_never_raises_and_is_a_fixed_point(text):
    result = normalize(text)
    assert len(result) <= MAX_CHARS
    assert normalize(result) == result
    assert result == result.strip() and "  " not in result
    for ch in result:
        assert unicodedata.category(ch) not in ("Cf", "Cs", "Cc") or ch == " "
        assert not ch.isdecimal() or ch in "0123456789"


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=3 * MAX_CHARS))
def test_normalize_output_is_encodable(text):
    normalize(text).encode("utf-8")


@pytest.mark.parametrize("raw, expected", [
    ("旗财政投入500w，市里补多少", "旗财政投入500万，市里补多少"),
    ("1.5W元", "1.5万元"),
    ("500kw的设备", "500kw的设备"),  # kilowatts, not 万
    ("gq奖励多少啊", "高企奖励多少啊"),
    ("YF投入补贴", "研发投入补贴"),
    ("gqa plan", "gqa plan"),  # inside a Latin word: untouched
    ("研发投入1.5个亿", "研发投入1.5亿"),
    ("投了两个亿", "投了两亿"),
    ("一个亿万富翁", "一亿万富翁"),  # only before 亿 (the number reads the same)
    ("三个项目", "三个项目"),
])
def test_chat_shorthand_for_wan_and_pinyin_initials(raw, expected):
    assert normalize(raw) == expected
    assert normalize(normalize(raw)) == normalize(raw)
