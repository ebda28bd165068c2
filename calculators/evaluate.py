"""Eligibility report for a profile: `evaluate(profile, catalogue) -> Report`.

An entry applies when one of its triggers (trigger or also_triggers) is in profile.triggers and
profile.org_type is None or among the recipients of such a trigger. Each applicable entry gives
one Benefit (rules.apply_rule; one per item when a single-value figure is given for several
items, rules.apply_rule_items), in article order, or — when its amount depends on a figure the
profile lacks and the text sets no cap — one PendingItem.

Totals (documented decision, same buckets the reply composer uses):
    one_time_yuan / per_year_yuan          确定金额: fixed + computed + at_least (floors count at
                                           the floor, i.e. "至少"); one_time includes per_project,
                                           per_year includes per_person_per_year.
    up_to_one_time_yuan / up_to_per_year_yuan  最高可达部分: the caps of up_to benefits, kept apart
                                           because a cap is not money promised.
Sums are plain sums; 第三十条 就高、从优、不重复 may exclude overlapping items.

    ValueError
     └── ProfileError        a profile names an unknown org type, trigger or figure, or a
                             figure that is not an amount
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from calculators.catalogue import Catalogue, load_catalogue
from calculators.models import Benefit, Period, Profile
from calculators.rules import apply_rule_items, figure_values

ONE_TIME_PERIODS = ("one_time", "per_project")
PER_YEAR_PERIODS = ("per_year", "per_person_per_year")


class ProfileError(ValueError):
    """The profile does not fit the catalogue; the message says what to fix."""


class PendingItem(BaseModel):
    """An applicable entry whose amount needs figures the profile does not have yet."""

    model_config = ConfigDict(frozen=True)

    entry_id: str
    article: int
    clause: str
    item: str
    quote: str
    period: Period
    figures: tuple[str, ...]


class Totals(BaseModel):
    model_config = ConfigDict(frozen=True)

    one_time_yuan: int = 0  # 确定金额, one_time + per_project
    per_year_yuan: int = 0  # 确定金额, per_year + per_person_per_year
    up_to_one_time_yuan: int = 0  # 仅有上限的项目（上限之和）
    up_to_per_year_yuan: int = 0


class Report(BaseModel):
    model_config = ConfigDict(frozen=True)

    benefits: list[Benefit]
    pending: list[PendingItem]
    missing_figures: list[str]  # figure keys still needed for an exact amount, first need first
    asks: list[str]  # the questions for missing_figures, same order
    totals: Totals
    departments: list[str]  # 责任单位 of the articles involved, article order, no repeats


def _check(profile: Profile, catalogue: Catalogue) -> None:
    if profile.org_type is not None and profile.org_type not in catalogue.org_types:
        raise ProfileError(
            f"unknown org_type {profile.org_type!r}; use one of: {', '.join(catalogue.org_types)}"
        )
    unknown = [t for t in profile.triggers if t not in catalogue.triggers]
    if unknown:
        raise ProfileError(f"unknown trigger(s): {', '.join(unknown)} (see triggers: in benefits.yaml)")
    for key, value in profile.figures.items():
        if key not in catalogue.figures:
            raise ProfileError(f"unknown figure {key!r}; known: {', '.join(catalogue.figures)}")
        try:
            # a single-value figure may be given for several items (one benefit each)
            figure_values(key, value, catalogue.figures[key].multiple or isinstance(value, tuple))
        except ValueError as exc:
            raise ProfileError(str(exc)) from None


def _applies(entry_triggers: tuple[str, ...], profile: Profile, catalogue: Catalogue) -> bool:
    had = [t for t in entry_triggers if t in profile.triggers]
    if not had:
        return False
    if profile.org_type is None:
        return True
    return any(profile.org_type in catalogue.triggers[t].recipients for t in had)


def totals_of(benefits: list[Benefit]) -> Totals:
    """The report's totals of these benefits (certain money and caps apart)."""
    sums = {"one_time": 0, "per_year": 0, "up_to_one_time": 0, "up_to_per_year": 0}
    for b in benefits:
        bucket = "per_year" if b.period in PER_YEAR_PERIODS else "one_time"
        if b.basis == "up_to":
            bucket = f"up_to_{bucket}"
        sums[bucket] += b.amount_yuan
    return Totals(
        one_time_yuan=sums["one_time"],
        per_year_yuan=sums["per_year"],
        up_to_one_time_yuan=sums["up_to_one_time"],
        up_to_per_year_yuan=sums["up_to_per_year"],
    )


def _each_trigger(entry, items: list[Benefit], profile: Profile, catalogue: Catalogue) -> list[Benefit]:
    """An entry paid to each recognised thing (``each_trigger``): one benefit per named one."""
    had = [t for t in entry.all_triggers if t in profile.triggers and catalogue.triggers[t].level != "none"]
    if not entry.each_trigger or len(had) < 2 or entry.figure:
        return items
    return [b.model_copy(update={"item": f"{b.item}（{catalogue.triggers[t].label}）"}) for t in had for b in items]


def evaluate(profile: Profile, catalogue: Catalogue | None = None) -> Report:
    """Every money item the profile's triggers open, with amounts from its figures."""
    catalogue = catalogue or load_catalogue()
    _check(profile, catalogue)
    benefits: list[Benefit] = []
    pending: list[PendingItem] = []
    missing: list[str] = []
    articles: list[int] = []
    for entry in catalogue.entries:  # catalogue order is article/clause order (checked on load)
        if not _applies(entry.all_triggers, profile, catalogue):
            continue
        items = apply_rule_items(entry, profile.figures, catalogue)
        if items is None:
            needed = (entry.figure,) if entry.figure else ()
            pending.append(
                PendingItem(
                    entry_id=entry.id,
                    article=entry.article,
                    clause=entry.clause,
                    item=entry.item,
                    quote=entry.quote,
                    period=entry.period,
                    figures=needed,
                )
            )
        else:
            benefits.extend(_each_trigger(entry, items, profile, catalogue))
            needed = tuple(items[0].missing)
        missing.extend(k for k in needed if k not in missing)
        if entry.article not in articles:
            articles.append(entry.article)
    departments: list[str] = []
    for article in articles:
        departments.extend(d for d in catalogue.departments.get(article, ()) if d not in departments)
    return Report(
        benefits=benefits,
        pending=pending,
        missing_figures=missing,
        asks=[catalogue.figures[k].ask for k in missing],
        totals=totals_of(benefits),
        departments=departments,
    )


# --- profiles from JSON ------------------------------------------------------------------------


def _amount(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ProfileError(f"figure {key}: {value!r} is not an amount")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise ProfileError(f'figure {key}: write {value!r} as integer yuan or as text such as "1200万元"')
    if isinstance(value, str):
        from calculators.money import AmountError, parse_amount

        try:
            return parse_amount(value, allow_zero=True)
        except AmountError as exc:
            raise ProfileError(f"figure {key}: {exc.message}") from None
    raise ProfileError(f"figure {key}: {value!r} is not an amount")


def _amounts(key: str, text: str) -> list[int]:
    """Several amounts in one string ("800、900和1000万元" shares the unit): money.find_amounts."""
    from calculators.money import find_amounts

    found = find_amounts(text)
    if not found:
        return [_amount(key, text)]  # parse_amount names what is wrong (or reads a lone 0)
    vague = [a.raw for a in found if a.approximate]
    if vague:
        raise ProfileError(f"figure {key}: {'、'.join(vague)} is approximate; give the exact amount")
    return [a.value_yuan for a in found]


def _figure(key: str, value: Any, multiple: bool) -> int | tuple[int, ...]:
    if isinstance(value, list | tuple):
        items = [_amount(key, v) for v in value]
    elif isinstance(value, str) and multiple:
        items = _amounts(key, value)
    else:
        items = [_amount(key, value)]
    if multiple or len(items) > 1:  # several items of a single-value figure: one benefit each
        return tuple(items)
    return items[0]


def profile_from_json(data: Mapping[str, Any], catalogue: Catalogue | None = None) -> Profile:
    """A Profile from JSON-like data: {"org_type": "enterprise" | "企业", "triggers": [ids or
    labels], "figures": {key: int yuan | "1200万元" | [..] for per-item figures}}.

    Strings are parsed with calculators.money.parse_amount. Raises ProfileError on anything
    unknown or unparsable, naming the key."""
    catalogue = catalogue or load_catalogue()
    if not isinstance(data, Mapping):
        raise ProfileError("a profile is a JSON object with org_type, triggers and figures")
    extra = set(data) - {"org_type", "triggers", "figures"}
    if extra:
        raise ProfileError(
            f"unknown profile key(s): {', '.join(sorted(extra))}; use org_type, triggers, figures"
        )

    org_type = data.get("org_type")
    if org_type is not None:
        by_label = {label: key for key, label in catalogue.org_types.items()}
        org_type = by_label.get(org_type, org_type)
        if org_type not in catalogue.org_types:
            raise ProfileError(
                f"unknown org_type {data['org_type']!r}; use one of: {', '.join(catalogue.org_types)}"
            )

    raw_triggers = data.get("triggers")
    if raw_triggers is None:
        raw_triggers = []
    if isinstance(raw_triggers, str) or not isinstance(raw_triggers, list | tuple):
        raise ProfileError("triggers must be a list of trigger ids")
    by_trigger_label = {t.label: tid for tid, t in catalogue.triggers.items()}
    triggers: list[str] = []
    for t in raw_triggers:
        tid = by_trigger_label.get(t, t)
        if tid not in catalogue.triggers:
            raise ProfileError(f"unknown trigger {t!r} (see triggers: in benefits.yaml)")
        if tid not in triggers:
            triggers.append(tid)

    raw_figures = data.get("figures")
    if raw_figures is None:
        raw_figures = {}
    if not isinstance(raw_figures, Mapping):
        raise ProfileError("figures must be an object: figure key -> amount")
    figures: dict[str, int | tuple[int, ...]] = {}
    for key, value in raw_figures.items():
        if key not in catalogue.figures:
            raise ProfileError(f"unknown figure {key!r}; known: {', '.join(catalogue.figures)}")
        if value is None:
            continue
        figures[key] = _figure(key, value, catalogue.figures[key].multiple)
        for v in figures[key] if isinstance(figures[key], tuple) else (figures[key],):
            if v < 0:
                raise ProfileError(f"figure {key}: amount {v} is negative")

    return Profile(org_type=org_type, triggers=tuple(triggers), figures=figures)
