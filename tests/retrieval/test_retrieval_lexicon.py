"""corpus/aliases.yaml and corpus/terms.txt: expansion, blocking inside longer terms, masking."""

from __future__ import annotations

import pytest
import yaml
from retrieval_cases import CASES

from retrieval.corpus import load_policy
from retrieval.lexicon import ALIASES_PATH, fold, load_lexicon, parse_aliases
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
