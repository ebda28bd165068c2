"""Each expectation key: one passing and one failing case, with expected and actual reported."""

from __future__ import annotations

import pytest
from replay_fakes import make_reply

from bot.replay.expectations import check_all, match_distinct, subset_diff
from bot.replay.schema import Expect

REPLY = make_reply(
    "根据第十五条，国家高新技术企业可获30万元科研经费奖补。",
    citations=[15, 16],
    benefits=[
        {"article": 15, "amount_yuan": 300000, "basis": "fixed"},
        {"article": 5, "amount_yuan": 3000000, "basis": "fixed"},
        {"article": 5, "amount_yuan": 500000, "basis": "up_to", "period": "per_year"},
    ],
    asks=["贵单位上年度研发投入是多少？"],
    choices=["企业", "高校"],
    profile={"org_type": "企业", "triggers": ["high_tech", "sme"], "figures": {"rd": 12000000}},
)

CASES = [
    # (key, value that holds, value that fails)
    ("reply_contains", ["30万元", "第十五条"], ["30万元", "500万元"]),
    ("reply_not_contains", ["500万元"], ["30万元"]),
    ("reply_matches", r"可获\d+万元", r"^\d+万元$"),
    ("reply_not_matches", r"1亿", r"\d+万元"),
    ("covered", True, False),
    ("first_citation", 15, 16),
    ("citations_include", [16, 15], [15, 17]),
    ("citations_exclude", [1, 30], [16]),
    ("clauses_include", ["15.1"], ["15.2"]),
    ("benefits_include", [{"article": 15, "amount_yuan": 300000}], [{"article": 15, "basis": "up_to"}]),
    ("benefits_exclude", [16], [5]),
    ("benefits_count", 3, 2),
    ("asks_nonempty", True, False),
    ("asks_contains", ["研发投入"], ["组织类型"]),
    ("choices_include", ["企业"], ["科研院所"]),
    ("profile", {"org_type": "企业", "triggers": ["sme"]}, {"org_type": "高校"}),
]


@pytest.mark.parametrize(("key", "good", "bad"), CASES, ids=[c[0] for c in CASES])
def test_each_key_passes_and_fails(key, good, bad):
    (ok,) = check_all(REPLY, Expect.model_validate({key: good}))
    assert ok.ok and ok.key == key
    (fail,) = check_all(REPLY, Expect.model_validate({key: bad}))
    assert not fail.ok
    assert fail.expected is not None and fail.actual is not None


def test_every_key_is_exercised():
    assert {c[0] for c in CASES} == set(Expect.model_fields)


def test_first_citation_without_citations():
    (c,) = check_all(make_reply(citations=[]), Expect(first_citation=15))
    assert not c.ok and c.actual is None and c.why == "no citations"


def test_benefits_include_needs_a_distinct_benefit_per_pattern():
    two = Expect.model_validate({"benefits_include": [{"article": 5}, {"article": 5, "amount_yuan": 3000000}]})
    assert check_all(REPLY, two)[0].ok
    three = Expect.model_validate({"benefits_include": [{"article": 5}, {"article": 5}, {"article": 5}]})
    c = check_all(REPLY, three)[0]
    assert not c.ok and "no benefit matches" in c.why


def test_match_distinct_finds_the_pairing_a_greedy_match_misses():
    rows = [{"a": 1, "b": 1}, {"a": 1, "b": 2}]
    assert match_distinct([{"a": 1}, {"b": 1}], rows) == [1, 0]


def test_profile_subset_rules():
    actual = {"org_type": "企业", "triggers": ["a", "b"], "figures": {"rd": 1, "deals": [5, 6]}}
    assert subset_diff({"figures": {"rd": 1}}, actual) == []
    assert subset_diff({"triggers": ["b", "a"]}, actual) == []  # lists: order ignored
    assert subset_diff({"figures": {"deals": [6]}}, actual) == []  # lists: subset
    assert subset_diff({"figures": {"rd": 2}}, actual) == ["profile.figures.rd: expected 2, got 1"]
    assert subset_diff({"x": 1}, actual) == ["profile.x: missing"]
    assert subset_diff({"triggers": ["c"]}, actual) == ["profile.triggers: no element matches 'c'"]
    assert subset_diff({"org_type": {"k": 1}}, actual) == ["profile.org_type: expected a mapping, got '企业'"]
    assert subset_diff({"flag": True}, {"flag": 1}) == ["profile.flag: expected True, got 1"]


def test_no_expect_means_no_checks():
    assert check_all(REPLY, None) == []
