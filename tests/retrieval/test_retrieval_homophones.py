"""Homophone typos of the policy's words (retrieval/homophones.py): what is put right, what stays,
and the properties every correction keeps (same length, nothing but Chinese characters changed)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from retrieval_cases import CASES

from retrieval.homophones import Homophones, from_json, literal_words, to_json
from retrieval.textproc import normalize


@pytest.fixture(scope="module")
def corrector(retriever):
    """The corrector of the session index (built from the real corpus with pypinyin)."""
    assert retriever.lexicon.homophones is not None
    return retriever.lexicon


@pytest.mark.parametrize("case", CASES["homophones"], ids=lambda c: c["text"])
def test_homophone_typos_become_the_policy_wording(corrector, case):
    assert corrector.correct(normalize(case["text"])) == case["fixed"]


@pytest.mark.parametrize("text", CASES["homophones_kept"])
def test_meant_words_stay(corrector, text):
    assert corrector.correct(normalize(text)) == normalize(text)


@pytest.mark.parametrize("case", CASES["homophones"], ids=lambda c: c["text"])
def test_correcting_twice_changes_nothing_more(corrector, case):
    once = corrector.correct(normalize(case["text"]))
    assert corrector.correct(once) == once


_CJK = re.compile(r"[\u4e00-\u9fff]")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="高心新企业研发头投入孵化期器三清灵零人才科创飞低地实验是室否1 2aA&%万亿，。", max_size=40))
def test_same_length_and_only_chinese_characters_change(corrector, text):
    fixed = corrector.correct(text)
    assert len(fixed) == len(text)
    for before, after in zip(text, fixed, strict=True):
        assert before == after or (_CJK.match(before) and _CJK.match(after) and before not in "万亿")


def test_the_query_path_file_round_trips(corrector):
    again = from_json(to_json(corrector.homophones))
    assert again.correct("高心企业的研发头入") == "高新企业的研发投入"


# The rule on a tiny hand-made vocabulary (readings given, no pypinyin).
READINGS = {ch: (r,) for r, chars in {
    "gao": "高搞", "xin": "新心", "qi": "企期器", "ye": "业夜", "fu": "孵", "hua": "化华",
    "ren": "人", "cai": "才材", "ke": "科颗", "chuang": "创窗", "fei": "飞", "di": "地低",
}.items() for ch in chars}


def tiny(*words: str, terms=(), real=()) -> Homophones:
    return Homophones(tuple(words), frozenset(terms), READINGS, "", frozenset(real))


@pytest.mark.parametrize(("text", "fixed"), [
    ("高心企业", "高新企业"),
    ("搞心企业", "搞心企业"),  # two differ: too many for four characters
    ("人材颗创飞低", "人材颗创飞低"),  # three differ: too many for six
    ("人材科创飞低", "人才科创飞地"),  # two: enough for six
    ("孵化期", "孵化器"),
])
def test_how_many_characters_may_differ(text, fixed):
    assert tiny("高新企业", "人才科创飞地", "孵化器").correct(text) == fixed


def test_two_words_fitting_equally_well_are_both_left_alone():
    assert tiny("孵化器", "孵化企").correct("孵化期") == "孵化期"


def test_a_real_word_only_becomes_a_policy_term():
    assert tiny("孵化器", real=("孵化期",)).correct("孵化期") == "孵化期"
    assert tiny("孵化器", terms=("孵化器",), real=("孵化期",)).correct("孵化期") == "孵化器"


@pytest.mark.parametrize(("pattern", "words"), [
    ("(?<!国家)(?<!国家级)工程研究中心", ["工程研究中心"]),
    ("临床(医学)?研究中心", []),
    ("(自然科学|技术发明)奖", ["自然科学", "技术发明"]),
    ("促成.{0,16}(技术交易|成果转化)", ["技术交易", "成果转化"]),
    ("科技型(小微|小)企业", []),
    ("(?i)hi(gh)?[- ]?tech (enterprise|company)", []),
    ("新型研发机构", ["新型研发机构"]),
])
def test_literal_words_of_a_cue(pattern, words):
    assert [w for w in literal_words(pattern) if len(w) >= 3] == words


def test_search_called_directly_reads_the_corrected_text(retriever):
    assert retriever.analyse("三清灵企业能给多少")["text"] == "三清零企业能给多少"
    assert retriever.search("三清灵企业能给多少").articles[0].article == 14
