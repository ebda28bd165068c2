"""apply_rule and format_yuan, driven by tests/calculators/cases.yaml (rules:, format_yuan:)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml

from calculators.catalogue import MatchRule, RatioRule, load_catalogue
from calculators.format import format_decimal_yuan, format_rate, format_ratio, format_yuan
from calculators.rules import apply_rule, entry_note

CASES = yaml.safe_load((Path(__file__).with_name("cases.yaml")).read_text(encoding="utf-8"))
CAT = load_catalogue()


def _case_id(row: dict) -> str:
    figs = ",".join(f"{k}={v}" for k, v in (row.get("figures") or {}).items())
    return f"{row['entry']}[{figs}]"


def _figures(row: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in (row.get("figures") or {}).items()}


@pytest.mark.parametrize(
    ("amount", "text"), CASES["format_yuan"], ids=[str(a) for a, _ in CASES["format_yuan"]]
)
def test_format_yuan(amount, text):
    assert format_yuan(amount) == text


def test_format_helpers():
    assert format_rate(Decimal("0.20")) == "20%"
    assert format_rate(Decimal("0.03")) == "3%"
    assert format_rate(Decimal("0.125")) == "12.5%"
    assert format_ratio(Decimal("1")) == "1:1"
    assert format_decimal_yuan(Decimal("99999.99")) == "99,999.99元"
    assert format_decimal_yuan(Decimal("2400000.00")) == "240万元"
    with pytest.raises(TypeError):
        format_yuan(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_yuan(True)


@pytest.mark.parametrize("row", CASES["rules"], ids=[_case_id(r) for r in CASES["rules"]])
def test_rule_case(row):
    entry = CAT.entry(row["entry"])
    benefit = apply_rule(entry, _figures(row), CAT)
    if row.get("pending"):
        assert benefit is None
        return
    assert benefit is not None
    assert benefit.amount_yuan == row["amount"]
    assert benefit.basis == row["basis"]
    assert (benefit.article, benefit.clause, benefit.id, benefit.quote) == (
        entry.article,
        entry.clause,
        entry.id,
        entry.quote,
    )
    assert benefit.period == row.get("period", entry.period)
    assert benefit.missing == row.get("missing", [])
    assert benefit.duration_years == entry.duration_years
    if "duration_years" in row:
        assert benefit.duration_years == row["duration_years"]
    if "formula" in row:
        assert benefit.formula == row["formula"]
    assert benefit.note == row.get("note", entry_note(entry))


def test_every_entry_has_a_case():
    tested = {r["entry"] for r in CASES["rules"]}
    untested = [e.id for e in CAT.entries if e.id not in tested]
    assert not untested, f"add rules: rows to cases.yaml for {untested}"
    unknown = tested - {e.id for e in CAT.entries}
    assert not unknown, f"cases.yaml names unknown entries {unknown}"


def _raw(x: int, rate: Decimal) -> int:
    return int((Decimal(x) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _side(value: int, cap: int) -> str:
    return "below" if value < cap else "at" if value == cap else "above"


def test_every_capped_ratio_and_match_rule_is_tested_below_at_and_above_its_cap():
    problems = []
    for entry in CAT.entries:
        rule = entry.rule
        if not isinstance(rule, RatioRule | MatchRule):
            continue
        rows = [
            r
            for r in CASES["rules"]
            if r["entry"] == entry.id and (r.get("figures") or {}).get(rule.figure) is not None
        ]
        rate = rule.rate if isinstance(rule, RatioRule) else rule.ratio
        values = []
        for r in rows:
            v = r["figures"][rule.figure]
            values.append(v if isinstance(v, list) else [v])
        if not values:
            problems.append(f"{entry.id}: no case with the figure given")
        if rows and not any(r.get("figures") in ({}, None) for r in CASES["rules"] if r["entry"] == entry.id):
            problems.append(f"{entry.id}: no case with the figure missing")
        checks: list[tuple[str, int, list[int]]] = []
        cap = getattr(rule, "cap_yuan", None)
        if cap is not None:
            checks.append(("cap", cap, [_raw(vs[0], rate) for vs in values]))
        item_cap = getattr(rule, "item_cap_yuan", None)
        if item_cap is not None:
            checks.append(("item cap", item_cap, [_raw(x, rate) for vs in values for x in vs]))
        yearly = getattr(rule, "yearly_cap_yuan", None)
        if yearly is not None:
            totals = [sum(min(_raw(x, rate), item_cap or _raw(x, rate)) for x in vs) for vs in values]
            checks.append(("yearly cap", yearly, totals))
            if not any(len(vs) >= 3 for vs in values):
                problems.append(f"{entry.id}: no case with a list of three or more items")
        for name, limit, raws in checks:
            missing = {"below", "at", "above"} - {_side(v, limit) for v in raws}
            if missing:
                problems.append(f"{entry.id}: {name} {limit} lacks cases {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_single_int_for_a_per_item_figure_is_one_item():
    entry = CAT.entry("tech_transfer_deal_award")
    assert apply_rule(entry, {"deal_amounts": 1_000_000}, CAT) == apply_rule(
        entry, {"deal_amounts": (1_000_000,)}, CAT
    )


def test_empty_list_counts_as_missing():
    b = apply_rule(CAT.entry("tech_transfer_deal_award"), {"deal_amounts": ()}, CAT)
    assert b is not None and b.basis == "up_to" and b.missing == ["deal_amounts"]


@pytest.mark.parametrize(
    ("entry_id", "figures", "message"),
    [
        ("social_new_rd_institution_support", {"rd_investment_last_year": 1.5}, "integer yuan"),
        ("social_new_rd_institution_support", {"rd_investment_last_year": True}, "integer yuan"),
        ("social_new_rd_institution_support", {"rd_investment_last_year": "1200万"}, "integer yuan"),
        ("social_new_rd_institution_support", {"rd_investment_last_year": -1}, "negative"),
        ("social_new_rd_institution_support", {"rd_investment_last_year": (1, 2)}, "takes one amount"),
        ("tech_transfer_deal_award", {"deal_amounts": (1_000_000, -5)}, "negative"),
    ],
)
def test_bad_figures_raise(entry_id, figures, message):
    with pytest.raises(ValueError, match=message):
        apply_rule(CAT.entry(entry_id), figures, CAT)


def test_figures_of_other_entries_are_ignored():
    b = apply_rule(CAT.entry("hitech_enterprise_award"), {"rd_investment_last_year": 12_000_000}, CAT)
    assert b is not None and (b.amount_yuan, b.basis, b.missing) == (300_000, "fixed", [])


def test_default_catalogue_is_used_when_none_given():
    b = apply_rule(CAT.entry("social_new_rd_institution_support"), {"rd_investment_last_year": 12_000_000})
    assert b is not None and b.amount_yuan == 2_400_000
