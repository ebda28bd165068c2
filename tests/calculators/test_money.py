"""calculators.money: table-driven cases from money_cases.yaml, plus properties."""

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from calculators.money import (
    MAX_YUAN,
    Amount,
    AmountError,
    ApproximateAmount,
    find_amounts,
    parse_amount,
)
from calculators.textnorm import normalize

CASES = yaml.safe_load((Path(__file__).parent / "money_cases.yaml").read_text(encoding="utf-8"))
KINDS = {"no_amount", "not_a_number", "negative", "zero", "absurd", "range", "approximate", "multiple"}
MONEYISH = "0123456789,.，、 万亿元块千百十一二两三四五六七八九零叁佰萬点多约左右-~到至%第年个人美¥e"


@pytest.mark.parametrize("row", CASES["parse_amount"], ids=lambda row: repr(row["input"]))
def test_parse_amount(row):
    parse = lambda: parse_amount(row["input"], default_unit=row.get("default_unit"))  # noqa: E731
    if "yuan" in row:
        assert parse() == row["yuan"]
        return
    with pytest.raises(AmountError) as caught:
        parse()
    error = caught.value
    assert error.kind == row["error"] in KINDS
    assert "例如" in error.message or "可以吗" in error.message  # says what to type instead
    if "candidate" in row:
        assert isinstance(error, ApproximateAmount)
        assert error.candidate_yuan == row["candidate"]


@pytest.mark.parametrize("row", CASES["find_amounts"], ids=lambda row: repr(row["input"]))
def test_find_amounts(row):
    found = find_amounts(row["input"])
    assert [a.value_yuan for a in found] == row["yuan"]
    if "approximate" in row:
        assert [a.approximate for a in found] == row["approximate"]


def test_amounts_carry_their_place_in_the_normalized_text():
    text = "研發投入約３００萬，營收2亿元"
    found = find_amounts(text)
    assert found == [Amount(3000000, 4, 9, "约300万", True), Amount(200000000, 12, 15, "2亿元", False)]
    assert all(normalize(text)[a.start : a.end] == a.raw for a in found)


def test_approximate_names_the_figure_it_would_use():
    with pytest.raises(ApproximateAmount) as caught:
        parse_amount("约200万")
    assert "按200万元计算可以吗" in caught.value.message


def test_zero_can_be_allowed():
    assert parse_amount("0元", allow_zero=True) == 0


def test_errors_are_value_errors_with_a_kind():
    with pytest.raises(ValueError, match="负数"):
        parse_amount("-5万")


@given(st.integers(min_value=1, max_value=MAX_YUAN))
def test_exact_yuan_survives_every_unit(yuan):
    assert parse_amount(f"{yuan}元") == parse_amount(f"{yuan:,}元") == yuan
    assert (
        parse_amount(f"{Decimal(yuan) / 10**4:f}万") == parse_amount(f"{Decimal(yuan) / 10**8:f}亿元") == yuan
    )


@given(st.one_of(st.text(), st.text(alphabet=MONEYISH, max_size=30)))
def test_parse_amount_returns_sane_yuan_or_amount_error(text):
    try:
        yuan = parse_amount(text)
    except AmountError as error:
        assert error.kind in KINDS and error.message
    else:
        assert type(yuan) is int and 0 < yuan <= MAX_YUAN


@given(st.one_of(st.text(), st.text(alphabet=MONEYISH, max_size=40)))
def test_find_amounts_never_raises_and_points_at_its_text(text):
    normalized = normalize(text)
    for amount in find_amounts(text):
        assert 0 < amount.value_yuan <= MAX_YUAN
        assert normalized[amount.start : amount.end] == amount.raw
