"""corpus/lexicon.yaml: every class compiles, its examples match and its counter-examples do not
(the Duckling way: a corpus of examples is the test of the rules)."""

from __future__ import annotations

import pytest

from calculators.grammar import LexiconError, lexicon, parse_lexicon
from calculators.textnorm import normalize

LEX = lexicon()
EXAMPLES = [(name, text, True) for name, wc in LEX.classes.items() for text in wc.examples]
EXAMPLES += [(name, text, False) for name, wc in LEX.classes.items() for text in wc.counter]


@pytest.mark.parametrize(("name", "text", "expected"), EXAMPLES, ids=lambda v: str(v)[:24])
def test_class_examples(name, text, expected):
    assert LEX.matches(name, normalize(text)) is expected


def test_most_classes_have_examples():
    without = [n for n, wc in LEX.classes.items() if not wc.examples]
    assert len(without) <= len(LEX.classes) // 3, without


def test_references_expand_and_negated_references_become_fixed_width_lookbehinds():
    assert LEX.expand("(?<!{level.city})X") == "(?<!市里认定)(?<!本市认定)(?<!市级)X"
    assert "自治区级" in LEX.body("level.any")


@pytest.mark.parametrize(("raw", "message"), [
    ({"classes": {"a": {"patterns": ["{b}"]}}}, "unknown word class"),
    ({"classes": {"a": {"patterns": ["{a}"]}}}, "refers to itself"),
    ({"classes": {"a": {"patterns": ["("]}}}, "does not compile"),
    ({"classes": {"a": {"form": "middle"}}}, "form must be"),
    ({"classes": {"a": {"word": ["x"]}}}, "unknown key"),
    ({"nope": 1}, "classes"),
])
def test_malformed_lexicons_are_refused_with_the_class_named(raw, message):
    with pytest.raises(LexiconError, match=message):
        parse_lexicon(raw)


def test_a_key_written_twice_in_a_data_file_is_an_error():
    """Two word classes of one name once hid each other (PyYAML keeps the last silently)."""
    import yaml

    from calculators.yamlfile import load_yaml

    assert load_yaml("a: 1\nb: {c: 2}\n") == {"a": 1, "b": {"c": 2}}
    with pytest.raises(yaml.YAMLError, match="'a' is written twice"):
        load_yaml("a: 1\nb: 2\na: 3\n")
    with pytest.raises(yaml.YAMLError, match="'c' is written twice"):
        load_yaml("b:\n  c: 1\n  c: 2\n")
