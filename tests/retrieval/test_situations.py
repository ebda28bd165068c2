"""corpus/situations.yaml: clauses described in everyday words, indexed beside the policy.

The file itself is checked (every key a clause, every description short, without figures or
article numbers); the index scores the policy's own units exactly as without it; a situation
counts only when a question shares several of its words with it."""

from __future__ import annotations

import re

import pytest
import yaml

from retrieval import store


def test_every_situation_belongs_to_a_clause_and_is_a_short_plain_description():
    raw = yaml.safe_load(store.SITUATIONS_PATH.read_text(encoding="utf-8"))
    policy = store.load_policy()
    assert len(raw) >= 60
    for clause, texts in raw.items():
        policy.clause(str(clause))  # KeyError for a clause that does not exist
        assert 1 <= len(texts) <= 6, clause
        for text in texts:
            assert 8 <= len(text) <= 30, (clause, text)
            assert not re.search(r"[\d０-９]|第[一二三四五六七八九十]+条", text), (clause, text)
    assert store.situations() == {str(k): v for k, v in raw.items()}


def test_the_policy_units_score_exactly_as_without_the_situations(retriever, tmp_path):
    import bm25s
    import numpy as np

    units = retriever.units
    own = [u for u in units if u.kind != "situation"]
    assert len(own) < len(units)
    with_all, vocab_all = store._bm25_matrix(bm25s, units, tmp_path / "a")
    alone, vocab_alone = store._bm25_matrix(bm25s, own, tmp_path / "b")
    columns = np.array([i for i, u in enumerate(units) if u.kind != "situation"])
    for token, row in vocab_alone.items():
        assert np.array_equal(with_all[vocab_all[token], columns], alone[row]), token


@pytest.fixture(scope="module")
def retriever(data_dir):
    from retrieval.search import open_retriever

    return open_retriever(data_dir)


@pytest.mark.parametrize("text, article", [
    ("我们是专门给刚起步的小公司提供工位、辅导、对接资源的地方，刚被国家挂了牌", 5),
    ("学校有不少昂贵的精密设备，平时也借给外面的公司用，收了些钱，这块有补助吗", 21),
    ("请了一位两院的老先生带团队定期来我们厂里指导，市里批准挂了个牌子", 24),
])
def test_a_case_told_without_the_policys_terms_finds_its_clause(retriever, text, article):
    result = retriever.search(text)
    assert result.in_scope and result.articles[0].article == article


@pytest.mark.parametrize("text", [
    "今天鄂尔多斯天气怎么样 要不要穿羽绒服",  # 要不要: one word of "…破产清算要不要审批"
    "外地人怎么落户鄂尔多斯",  # 落户: one word of "…项目在本地落户"
    "专利授权资助每件多少钱",  # 专利: one word of several situations
])
def test_one_word_shared_with_a_situation_is_not_evidence(retriever, text):
    assert retriever.search(text).in_scope is False


def test_a_long_message_is_judged_by_the_sentences_that_ask():
    from retrieval.scope import asking_part

    minutes = ("情况说明：我司上年度研发投入约两千万元，已在统计系统报送研发数据，统计局也来核过，公司今年还在准备"
               "申报材料，准备了厚厚一摞。请问自治区那边的研发投入后补助是按多少比例补的？")
    assert asking_part(minutes) == "请问自治区那边的研发投入后补助是按多少比例补的？"
    assert asking_part("高企能拿多少") == "高企能拿多少"  # short: the whole message


def test_another_places_programme_asked_in_a_long_message_is_out_of_scope(retriever):
    text = ("情况说明：我司为自治区认定的科技型企业，上年度研发投入约两千万元，已按要求在统计系统报送研发数据，"
            "统计局也来核过。我们了解到除了鄂尔多斯市里的研发投入奖补之外，自治区层面也有企业研发投入后补助。"
            "请问自治区那边的研发投入后补助是按多少比例补的，报给自治区哪个处室？")
    assert retriever.search(text).in_scope is False


def test_the_asking_sentences_are_read_with_the_lexicons_question_words():
    from calculators.grammar import lexicon
    from retrieval.scope import _ASKS

    question = lexicon().classes["question"]
    assert question.examples and all(_ASKS.search(x.lower()) for x in question.examples), question.examples
    assert not any(_ASKS.search(x) for x in question.counter), question.counter
