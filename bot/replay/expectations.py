"""One small checker per expectation key: ``check(reply, expected) -> Check(ok, expected, actual)``.

    for check in check_all(reply, turn.expect):
        if not check.ok: print(check.key, check.expected, check.actual)

Semantics (CONTRACT.md §4 plus the additions marked +):

| key | holds when |
|---|---|
| reply_contains [str] | every string is a substring of the reply text |
| reply_not_contains [str] | no string is a substring of the reply text |
| reply_matches regex | ``re.search(regex, reply)`` finds a match |
| + reply_not_matches regex | ``re.search`` finds no match |
| covered bool | ``reply.covered`` equals it |
| first_citation int | ``citations[0].article`` equals it (fails when there are no citations) |
| citations_include [int] | every article is among the cited articles (any position) |
| citations_exclude [int] | none of the articles is cited |
| + clauses_include [str] | every clause id (``"15.2"``) is among the cited clauses |
| benefits_include [obj] | each object matches a *different* benefit on the keys it gives |
| benefits_exclude [int] | no benefit comes from these articles |
| + benefits_count int | exactly this many benefits |
| asks_nonempty bool | ``bool(reply.asks)`` equals it |
| + asks_contains [str] | every string is a substring of some ask |
| + choices_include [str] | every label is among ``reply.choices`` |
| profile obj | subset match, see :func:`subset_diff` |

Profile subset match: a mapping matches when every expected key exists and its value matches
(recursively); a list matches when every expected element matches some element of the actual
list (order ignored — profile lists such as recognitions are sets; write every element to pin
them all); any other value matches when equal (``1 == 1.0`` is not special-cased: YAML ints
compare to the engine's ints).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.dialogue.reply import Reply
from bot.replay.schema import Expect


@dataclass(frozen=True)
class Check:
    key: str
    ok: bool
    expected: Any
    actual: Any
    why: str = ""  # a short explanation when it fails (what is missing / what is extra)


Checker = Callable[[Reply, Any], Check]
CHECKERS: dict[str, Checker] = {}


def checker(key: str) -> Callable[[Checker], Checker]:
    def register(fn: Checker) -> Checker:
        CHECKERS[key] = fn
        return fn

    return register


def check_all(reply: Reply, expect: Expect | None) -> list[Check]:
    if expect is None:
        return []
    return [CHECKERS[key](reply, value) for key, value in expect.given().items() if value is not None]


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _articles(reply: Reply) -> list[int]:
    return [c.article for c in reply.citations]


# ---------------------------------------------------------------- reply text


@checker("reply_contains")
def reply_contains(reply: Reply, expected: list[str]) -> Check:
    missing = [s for s in expected if s not in reply.reply]
    return Check("reply_contains", not missing, expected, reply.reply, f"missing: {_j(missing)}" if missing else "")


@checker("reply_not_contains")
def reply_not_contains(reply: Reply, expected: list[str]) -> Check:
    present = [s for s in expected if s in reply.reply]
    return Check("reply_not_contains", not present, expected, reply.reply, f"present: {_j(present)}" if present else "")


@checker("reply_matches")
def reply_matches(reply: Reply, pattern: str) -> Check:
    ok = re.search(pattern, reply.reply) is not None
    return Check("reply_matches", ok, pattern, reply.reply, "" if ok else "no match")


@checker("reply_not_matches")
def reply_not_matches(reply: Reply, pattern: str) -> Check:
    m = re.search(pattern, reply.reply)
    return Check("reply_not_matches", m is None, pattern, reply.reply, f"matched {m.group(0)!r}" if m else "")


# ---------------------------------------------------------------- coverage and citations


@checker("covered")
def covered(reply: Reply, expected: bool) -> Check:
    return Check("covered", reply.covered == expected, expected, reply.covered)


@checker("first_citation")
def first_citation(reply: Reply, expected: int) -> Check:
    actual = reply.citations[0].article if reply.citations else None
    return Check("first_citation", actual == expected, expected, actual, "" if reply.citations else "no citations")


@checker("citations_include")
def citations_include(reply: Reply, expected: list[int]) -> Check:
    actual = _articles(reply)
    missing = [a for a in expected if a not in actual]
    return Check("citations_include", not missing, expected, actual, f"missing: {_j(missing)}" if missing else "")


@checker("citations_exclude")
def citations_exclude(reply: Reply, expected: list[int]) -> Check:
    actual = _articles(reply)
    present = [a for a in expected if a in actual]
    return Check("citations_exclude", not present, expected, actual, f"cited: {_j(present)}" if present else "")


@checker("clauses_include")
def clauses_include(reply: Reply, expected: list[str]) -> Check:
    actual = [c.clause for c in reply.citations]
    missing = [c for c in expected if c not in actual]
    return Check("clauses_include", not missing, expected, actual, f"missing: {_j(missing)}" if missing else "")


# ---------------------------------------------------------------- benefits


def _benefit_rows(reply: Reply) -> list[dict[str, Any]]:
    return [b.model_dump(mode="json") for b in reply.benefits]


def _matches(pattern: dict[str, Any], benefit: dict[str, Any]) -> bool:
    return all(benefit.get(k) == v for k, v in pattern.items())


def match_distinct(patterns: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[int | None]:
    """For each pattern, the index of the row it is matched to (each row used once), or None.

    A small bipartite matching (augmenting paths), so ``[{article: 5}, {article: 5, amount_yuan:
    3000000}]`` pairs up correctly whatever the order of the benefits.
    """
    owner: dict[int, int] = {}  # row -> pattern

    def place(p: int, seen: set[int]) -> bool:
        for r, row in enumerate(rows):
            if r in seen or not _matches(patterns[p], row):
                continue
            seen.add(r)
            if r not in owner or place(owner[r], seen):
                owner[r] = p
                return True
        return False

    for p in range(len(patterns)):
        place(p, set())
    by_pattern: list[int | None] = [None] * len(patterns)
    for r, p in owner.items():
        by_pattern[p] = r
    return by_pattern


@checker("benefits_include")
def benefits_include(reply: Reply, expected: list[Any]) -> Check:
    patterns = [p.given() for p in expected]
    rows = _benefit_rows(reply)
    placed = match_distinct(patterns, rows)
    unmatched = [patterns[i] for i, r in enumerate(placed) if r is None]
    actual = [{k: row[k] for k in ("article", "clause", "item", "amount_yuan", "basis", "period")} for row in rows]
    return Check(
        "benefits_include", not unmatched, patterns, actual, f"no benefit matches: {_j(unmatched)}" if unmatched else ""
    )


@checker("benefits_exclude")
def benefits_exclude(reply: Reply, expected: list[int]) -> Check:
    actual = [b.article for b in reply.benefits]
    present = sorted({a for a in expected if a in actual})
    return Check("benefits_exclude", not present, expected, actual, f"benefits from: {_j(present)}" if present else "")


@checker("benefits_count")
def benefits_count(reply: Reply, expected: int) -> Check:
    actual = len(reply.benefits)
    return Check("benefits_count", actual == expected, expected, actual)


# ---------------------------------------------------------------- asks, choices, profile


@checker("asks_nonempty")
def asks_nonempty(reply: Reply, expected: bool) -> Check:
    return Check("asks_nonempty", bool(reply.asks) == expected, expected, list(reply.asks))


@checker("asks_contains")
def asks_contains(reply: Reply, expected: list[str]) -> Check:
    missing = [s for s in expected if not any(s in a for a in reply.asks)]
    return Check("asks_contains", not missing, expected, list(reply.asks), f"missing: {_j(missing)}" if missing else "")


@checker("choices_include")
def choices_include(reply: Reply, expected: list[str]) -> Check:
    missing = [c for c in expected if c not in reply.choices]
    return Check(
        "choices_include", not missing, expected, list(reply.choices), f"missing: {_j(missing)}" if missing else ""
    )


def subset_diff(expected: Any, actual: Any, path: str = "profile") -> list[str]:
    """The places where ``expected`` is not a subset of ``actual`` (empty list: it is)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected a mapping, got {actual!r}"]
        out: list[str] = []
        for k, v in expected.items():
            if k not in actual:
                out.append(f"{path}.{k}: missing")
            else:
                out.extend(subset_diff(v, actual[k], f"{path}.{k}"))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list | tuple):
            return [f"{path}: expected a list, got {actual!r}"]
        return [
            f"{path}: no element matches {e!r}"
            for e in expected
            if not any(not subset_diff(e, a, path) for a in actual)
        ]
    if expected != actual or type(expected) is bool and type(actual) is not bool:
        return [f"{path}: expected {expected!r}, got {actual!r}"]
    return []


@checker("profile")
def profile(reply: Reply, expected: dict[str, Any]) -> Check:
    problems = subset_diff(expected, reply.profile)
    return Check("profile", not problems, expected, reply.profile, "; ".join(problems))
