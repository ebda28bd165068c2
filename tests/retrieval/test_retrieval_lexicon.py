"""corpus/aliases.yaml and corpus/terms.txt: expansion, blocking inside longer terms, masking."""

from __future__ import annotations

import json

import pytest
import yaml
from retrieval_cases import CASES

from retrieval.corpus import load_policy
from retrieval.lexicon import (
    ALIASES_PATH,
    FOREIGN_BENEFITS_KEY,
    OTHER_PLACES_KEY,
    OUT_OF_SCOPE_KEY,
    fold,
    lexicon_from_json,
    lexicon_to_json,
    load_lexicon,
    parse_aliases,
)
from retrieval.textproc import prepare

LEX = load_lexicon()


@pytest.mark.parametrize("case", CASES["aliases"], ids=lambda c: c["text"])
def test_alias_adds_the_policy_wording(case):
    assert case["adds"] in LEX.expand(prepare(case["text"])).terms


@pytest.mark.parametrize("case", CASES["not_added"], ids=lambda c: c["text"])
def test_alias_does_not_fire_inside_a_longer_policy_term(case):
    assert case["term"] not in LEX.expand(prepare(case["text"])).terms


@pytest.mark.parametrize("case", CASES["masked"], ids=lambda c: c["text"])
def test_out_of_scope_phrases_are_masked(case):
    masked = LEX.mask_out_of_scope(prepare(case["text"]))
    assert case["phrase"] not in masked and len(masked) == len(prepare(case["text"]))


@pytest.mark.parametrize("case", CASES["not_masked"], ids=lambda c: c["text"])
def test_english_foreign_benefits_match_whole_words_only(case):
    assert case["phrase"] in LEX.mask_out_of_scope(prepare(case["text"]))
    assert not LEX.foreign_benefit_spans(prepare(case["text"]))


def test_foreign_benefit_spans_find_every_occurrence():
    text = prepare("房租补贴和房租减免")
    assert LEX.foreign_benefit_spans(text) == ((0, 2), (5, 7))
    assert LEX.foreign_benefit_spans(prepare("高企认定奖励")) == ()


def test_a_foreign_benefit_across_two_words_is_not_that_benefit():
    """抽水|电站 has 水电 in it, but across the cut: with the word cuts it is not the 水电 benefit."""
    text = prepare("抽水电站项目")
    assert LEX.foreign_benefit_spans(text)  # characters alone
    assert LEX.foreign_benefit_spans(text, frozenset({0, 2, 4, 6})) == ()
    assert LEX.foreign_benefit_spans(prepare("水电费有补贴吗"), frozenset({0, 3, 4, 6, 7})) != ()  # a word's start
    assert (1, 3) in LEX.foreign_benefit_spans(prepare("水电费有补贴吗"), frozenset({0, 2, 3, 4, 6, 7}))  # 水电|费 is 电费
    # a start on a cut is not enough: 矿|用|电动|车 has 用电 from a word's start into the next word
    assert LEX.foreign_benefit_spans(prepare("矿用电动车用电有补贴吗"), frozenset({0, 1, 2, 4, 5})) == ((5, 7), (8, 10))


def test_using_electricity_is_not_a_benefit_without_one():
    """用电 alone is a use (矿用电机车); with 补贴 or 优惠 it is a benefit the policy does not give."""
    assert LEX.foreign_benefit_spans(prepare("矿用电机车单价260万")) == ()
    assert LEX.foreign_benefit_spans(prepare("企业用电有没有优惠")) != ()


def test_the_two_out_of_scope_lists_are_kept_apart():
    programmes = {v for v in LEX.out_of_scope}
    benefits = {v for v in LEX.foreign_benefits}
    assert ("专精特新",) in programmes and ("上市",) in programmes
    assert ("所得税",) in benefits and ("房租",) in benefits and ("rent",) in benefits
    assert not programmes & benefits


def test_no_foreign_benefit_is_something_the_policy_gives():
    """A benefit kind listed as foreign must not be in the policy's text (one clause for A+B)."""
    policy = load_policy()
    text = fold(policy.text)
    clauses = [fold(c.text) for a in policy.articles for c in a.clauses]
    found = [v for v in LEX.foreign_benefits if len(v) == 1 and v[0] in text]
    found += [v for v in LEX.foreign_benefits if any(all(p in c for p in v) for c in clauses)]
    assert not found, f"aliases.yaml 本政策不提供的待遇 lists wording the policy uses: {found}"


def test_the_lexicon_survives_the_index_manifest():
    again = lexicon_from_json(json.loads(json.dumps(lexicon_to_json(LEX), ensure_ascii=False)))
    assert again == LEX
    assert again.foreign_benefit_spans(prepare("高企房租")) == LEX.foreign_benefit_spans(prepare("高企房租"))


def test_parse_aliases_separates_the_keys_that_are_not_aliases():
    data = {
        "高新技术企业": ["高企"],
        OUT_OF_SCOPE_KEY: ["专精特新"],
        FOREIGN_BENEFITS_KEY: ["房租", "Rent"],
        OTHER_PLACES_KEY: ["包头", "Baotou|Hohhot"],
    }
    parsed = parse_aliases(data)
    assert [a.terms for a in parsed.aliases] == [("高新技术企业",)]
    assert parsed.out_of_scope == (("专精特新",),) and parsed.foreign_benefits == (("房租",), ("rent",))
    assert parsed.other_places == ("包头", "baotou", "hohhot")


def test_an_other_place_is_one_name():
    with pytest.raises(ValueError, match="one name"):
        parse_aliases({OTHER_PLACES_KEY: ["包头+高企"]})


@pytest.mark.parametrize(
    "text, places",
    [
        ("包头市高企奖励多少", ["包头"]),
        ("does baotou city give awards", ["baotou"]),
        ("在北京设个研发点", ["北京"]),
        ("鄂尔多斯的高企奖励", []),
        ("baotoucity", []),  # Latin names match whole words only
    ],
)
def test_other_place_mentions(text, places):
    assert [text[s:e] for s, e in LEX.other_place_mentions(prepare(text))] == places


def test_every_policy_word_in_the_files_is_the_policy_s_own_wording():
    text = fold(load_policy().text)
    missing = [t for t in LEX.terms if t not in text]
    missing += [t for a in LEX.aliases for t in a.terms if t not in text]
    assert not missing, f"terms.txt / aliases.yaml keys not in policy.txt: {missing}"


def test_combined_variant_needs_every_part():
    assert "人才科创飞地" in LEX.expand(prepare("外地设研发团队")).terms
    assert "人才科创飞地" not in LEX.expand(prepare("外地的企业")).terms


def test_aliases_file_is_plain_yaml_a_policy_officer_can_edit():
    data = yaml.safe_load(ALIASES_PATH.read_text(encoding="utf-8"))
    assert all(isinstance(k, str) and isinstance(v, list) for k, v in data.items())


@pytest.mark.parametrize(
    "data",
    [["not", "a", "mapping"], {"高新技术企业": "高企"}, {"高新技术企业": ["企"]}, {"高新技术企业": ["a+"]}],
)
def test_malformed_alias_data_is_rejected_with_a_message(data):
    with pytest.raises(ValueError, match="aliases.yaml"):
        parse_aliases(data)
