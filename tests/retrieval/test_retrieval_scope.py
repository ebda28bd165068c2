"""The scope rules' how-much phrase is the lexicon's how_much class (one definition, spelled out
in retrieval/scope.py only so the query path reads no YAML)."""

from calculators.grammar import lexicon
from retrieval import scope


def test_how_much_is_the_lexicon_class():
    assert scope.HOW_MUCH == lexicon().body("how_much")
