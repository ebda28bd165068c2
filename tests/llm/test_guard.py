"""The output guard's table (tests/llm/guard_cases.yaml), plus its helpers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.llm.guard import Evidence, article_refs, chunks, clause_refs, cn_int, kinds, rates

TABLE = yaml.safe_load((Path(__file__).parent / "guard_cases.yaml").read_text(encoding="utf-8"))


def _evidence(row: dict) -> Evidence:
    data = {**TABLE["evidence"].get(row.get("use"), {}), **row.get("evidence", {})}
    return Evidence(amounts=frozenset(data.get("amounts", ())), articles=frozenset(data.get("articles", ())),
                    clauses=frozenset(data.get("clauses", ())), texts=tuple(data.get("texts", ())),
                    echo_texts=tuple(data.get("echo_texts", ())), user_texts=tuple(data.get("user_texts", ())))


def _text(row: dict) -> str:
    if "text_repeat" in row:
        r = row["text_repeat"]
        return r["text"] * r["times"] + r.get("tail", "")
    return row["text"]


@pytest.fixture(scope="module")
def guard():
    from bot.llm.assistant import _guard

    return _guard()


@pytest.mark.parametrize("row", TABLE["cases"], ids=[c["name"] for c in TABLE["cases"]])
def test_guard_table(guard, row):
    found = guard.check(_text(row), _evidence(row))
    assert kinds(found) == row["expect"], [(v.kind, v.found) for v in found]


def test_every_violation_kind_has_a_row():
    expected = {k for row in TABLE["cases"] for k in row["expect"]}
    documented = {"amount", "amount_unreadable", "rate", "article_out_of_range", "article_not_from_tools",
                  "clause_out_of_range", "clause_not_from_tools", "quote_not_verbatim", "canary", "system_prompt"}
    assert expected == documented


@pytest.mark.parametrize(("text", "value"), [("15", 15), ("十", 10), ("十五", 15), ("三十", 30), ("三十一", 31),
                                             ("一百零二", 102), ("两", 2), ("三点", None)])
def test_cn_int(text, value):
    assert cn_int(text) == value


def test_refs_and_rates():
    assert [n for n, _ in article_refs("第15条、第（二十七）条和Article 3")] == [15, 27, 3]
    assert [c for _, c in clause_refs("〔第15条 15.2〕，1.5万元，2.5倍，2024.10.20")] == ["15.2"]
    assert [v for v, _ in rates("20%，百分之三十，百分之二点五")] == [Decimal(20), Decimal(30), Decimal("2.5")]


def test_chunks_keep_every_character():
    text = ("一行文字。\n" * 700) + "x" * 4000
    pieces = chunks(text)
    assert "".join(pieces) == text and all(len(p) <= 1500 for p in pieces)
