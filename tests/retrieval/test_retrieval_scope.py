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


def test_the_asking_sentences_are_found_where_they_stand():
    notice = "【转发】关于组织开展培育工作的通知，请各单位于月底前报送材料，逾期不予受理，联系人张老师。" * 2
    text = notice + "……请问我们这种情况市里有没有奖补？" + notice
    spans = scope.asking_spans(text)
    assert [text[s:e] for s, e in spans] == ["请问我们这种情况市里有没有奖补？"]
    assert scope.asking_part(text) == "请问我们这种情况市里有没有奖补？"
    assert scope.asking_spans("高企能拿多少") == [(0, 6)]
