"""Text to tokens: domain terms stay whole, numbers come out first, traditional input is simplified."""

from __future__ import annotations

import pytest
from retrieval_cases import CASES

from retrieval.textproc import prepare, split_numbers


@pytest.mark.parametrize("case", CASES["whole_terms"], ids=lambda c: c["token"])
def test_domain_terms_stay_whole(tokenizer, case):
    text, _ = split_numbers(prepare(case["text"]))
    assert case["token"] in tokenizer.tokens(text)


@pytest.mark.parametrize("case", CASES["numbers"], ids=lambda c: c["text"])
def test_numbers_are_taken_out_before_tokenizing(tokenizer, case):
    text, figures = split_numbers(prepare(case["text"]))
    assert figures == case["figures"]
    assert tokenizer.tokens(text) == case["tokens"]


def test_words_that_look_numeric_stay():
    for word in ("三清零", "一事一议", "万众创新", "四个世界级产业", "五大领域"):
        assert split_numbers(word) == (word, [])


def test_traditional_and_full_width_input_is_normalized(tokenizer):
    assert prepare("國家高新技術企業") == prepare("国家高新技术企业")
    assert prepare("ＲＤ　３００萬") == "rd 300万"
    text, _ = split_numbers(prepare("研發投入補助"))
    assert tokenizer.tokens(text) == ["研发投入", "补助"]


def test_subwords_of_a_long_term(tokenizer):
    subs = tokenizer.subwords("技术研发与中试公共服务平台")
    assert "中试公共服务平台" in subs and "公共服务" in subs
    assert tokenizer.subwords("研发") == []


@pytest.mark.parametrize("text", ["", "   ", "😀", "\u202e\u200b", "x" * 10000])
def test_odd_input_gives_tokens_without_error(tokenizer, text):
    stripped, _ = split_numbers(prepare(text))
    assert isinstance(tokenizer.tokens(stripped), list)
