"""The scope rules' how-much phrase and "this city named" are the lexicon's how_much and city_named
classes (one definition each, spelled out in retrieval/scope.py only so the query path reads no YAML)."""

from calculators.grammar import lexicon
from retrieval import scope


def test_how_much_is_the_lexicon_class():
    assert scope.HOW_MUCH == lexicon().body("how_much")


def test_this_city_named_is_the_lexicon_class():
    assert scope.HOME_NAMED == lexicon().body("city_named")


def test_the_city_as_payer_is_always_the_city_named():
    """payer_home (the city asked as the payer) is a narrower reading of the same words: every one
    of its examples names the city for the scope rules too."""
    import re

    for example in lexicon().classes["payer_home"].examples:
        assert lexicon().search("payer_home", example)
        assert re.search(scope.HOME_NAMED, example), example
