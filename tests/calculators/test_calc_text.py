"""The catalogue against the policy text: verbatim quotes in the right clause, every money figure
of the text accounted for at its position, departments as written."""

from __future__ import annotations

import re

import pytest

from calculators.catalogue import load_catalogue
from retrieval.corpus import load_policy

CAT = load_catalogue()
POLICY = load_policy()
MONEY = re.compile(r"\d+(\.\d+)?[万亿]元")


def _clause_span(clause_id: str) -> tuple[int, str]:
    """Offset of a clause in policy.txt, and its text."""
    clause = POLICY.clause(clause_id)
    article = POLICY.article(clause.article)
    start = POLICY.text.index(article.text)
    assert POLICY.text.count(article.text) == 1
    return start + article.text.index(clause.text), clause.text


def _quotes():
    for e in CAT.entries:
        yield f"entry {e.id}", e.article, e.clause, e.quote
        if e.amount_source:
            yield (
                f"entry {e.id} amount_source",
                int(e.amount_source.clause.split(".")[0]),
                e.amount_source.clause,
                e.amount_source.quote,
            )
    for kind, items in (("non_grant", CAT.non_grant_figures), ("unquantified", CAT.unquantified_support)):
        for x in items:
            yield f"{kind} {x.clause}", x.article, x.clause, x.quote


QUOTES = list(_quotes())


@pytest.mark.parametrize(("what", "article", "clause", "quote"), QUOTES, ids=[q[0] for q in QUOTES])
def test_quote_is_verbatim_and_inside_its_clause(what, article, clause, quote):
    assert clause.startswith(f"{article}."), what
    assert quote in POLICY.text, f"{what}: not a verbatim substring of policy.txt"
    assert quote in POLICY.clause(clause).text, f"{what}: not inside clause {clause}"


def test_every_money_figure_of_the_text_is_covered_where_it_stands():
    spans: list[tuple[int, int]] = []
    for e in CAT.entries:
        spans += _occurrences(e.clause, e.quote)
    for x in CAT.non_grant_figures:
        spans += _occurrences(x.clause, x.quote)
    found = list(MONEY.finditer(POLICY.text))
    assert len(found) >= 60
    uncovered = [
        f"{m.group()} …{POLICY.text[max(0, m.start() - 20) : m.end()]}"
        for m in found
        if not any(a <= m.start() and m.end() <= b for a, b in spans)
    ]
    assert not uncovered, "money figures with no entry or non_grant quote:\n" + "\n".join(uncovered)


def _occurrences(clause_id: str, quote: str) -> list[tuple[int, int]]:
    start, text = _clause_span(clause_id)
    return [(start + m.start(), start + m.end()) for m in re.finditer(re.escape(quote), text)]


def test_each_non_grant_quote_explains_a_number():
    for x in CAT.non_grant_figures:
        assert re.search(r"\d", x.quote) and x.why, x


def test_departments_are_as_written():
    for article in POLICY.articles:
        assert CAT.departments.get(article.number, ()) == article.departments, article.number


def test_articles_without_money_have_no_entries():
    # Rights, procedures, finance and fault tolerance only: no money item in the text.
    for n in (8, 18, 20, 22, 23, 28, 29, 30):
        assert not CAT.entries_for_article(n), n
    assert {e.article for e in CAT.entries} == {
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        9,
        10,
        11,
        12,
        13,
        14,
        15,
        16,
        17,
        19,
        21,
        24,
        25,
        26,
        27,
    }
