"""Eligibility report for a profile: `evaluate(profile, catalogue) -> Report`.

An entry applies when one of its triggers (trigger or also_triggers) is in profile.triggers and
profile.org_type is None or among the recipients of such a trigger. Each applicable entry gives
one Benefit (rules.apply_rule; one per item when a single-value figure is given for several
items, rules.apply_rule_items), in article order, or — when its amount depends on a figure the
profile lacks and the text sets no cap — one PendingItem.

How many things the asker has reshapes the list (Profile fields, in this order):
    trigger_figures  a recognition with figures of its own is evaluated with them, apart
    summed           (default) a per-item figure's items each capped, then summed into one benefit
                     (BAD_INPUTS 32); when false, one by one ("（第1项）") while the yearly cap does
                     not bind (每个项目能奖多少)
    one_item         a single item without its figure: the per-item cap (rules.one_item_cap)
    counts           n of a one-time fixed/capped recognition: n benefits ("（第2项）")

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

from pydantic import BaseModel, ConfigDict, ValidationError

from calculators.catalogue import Catalogue, load_catalogue
from calculators.models import Benefit, Period, Profile
from calculators.rules import apply_rule, apply_rule_items, figure_values, numbered, one_item_cap

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
    for tid, own in profile.trigger_figures.items():
        if tid not in catalogue.triggers:
            raise ProfileError(f"trigger_figures: unknown trigger {tid!r}")
        _check(Profile(figures=own), catalogue)
    for tid, n in profile.counts.items():
        if tid not in catalogue.triggers or isinstance(n, bool) or n < 1:
            raise ProfileError(f"counts: {tid!r}: {n!r} — a known trigger id and a whole number ≥ 1")


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
    """Every money item the profile's triggers open, with amounts from its figures, one benefit
    per thing or item the profile says it has (see the module docstring)."""
    catalogue = catalogue or load_catalogue()
    _check(profile, catalogue)
    result = _evaluate_apart(profile, catalogue)
    benefits = _itemised(result.benefits, profile, catalogue)
    benefits = _one_item(benefits, profile, catalogue)
    benefits = _counted(benefits, profile, catalogue)
    return result.model_copy(update={"benefits": benefits, "totals": totals_of(benefits)})


def _evaluate_apart(profile: Profile, catalogue: Catalogue) -> Report:
    """Recognitions with figures of their own each evaluated with them, the rest together; one
    report in catalogue order."""
    bound = [t for t in profile.triggers if profile.trigger_figures.get(t)]
    if not bound:
        return _evaluate_together(profile, catalogue)
    common = [t for t in profile.triggers if t not in bound]
    parts = [profile.model_copy(update={"triggers": tuple(common)})] if common else []
    parts += [profile.model_copy(update={"triggers": (t,), "figures": {**profile.figures, **profile.trigger_figures[t]}})
              for t in bound]
    reports = [_evaluate_together(part, catalogue) for part in parts]
    if len(reports) == 1:
        return reports[0]
    order = {e.id: i for i, e in enumerate(catalogue.entries)}
    benefits = sorted((b for r in reports for b in r.benefits), key=lambda b: order.get(b.id, 0))
    missing = list(dict.fromkeys(k for r in reports for k in r.missing_figures))
    return Report(benefits=benefits, pending=[p for r in reports for p in r.pending], missing_figures=missing,
                  asks=[catalogue.figures[k].ask for k in missing], totals=totals_of(benefits),
                  departments=list(dict.fromkeys(d for r in reports for d in r.departments)))


def _itemised(benefits: list[Benefit], profile: Profile, catalogue: Catalogue) -> list[Benefit]:
    """Each item of a per-item figure as its own benefit (three deals, three amounts), when the
    yearly cap does not bind; a binding cap is one sum and stays one."""
    out = []
    for b in benefits:
        entry = catalogue.entry(b.id)
        key = entry.figure
        values = profile.figures.get(key) if key and catalogue.figures[key].multiple and not profile.summed else None
        if b.basis == "computed" and isinstance(values, list | tuple) and len(values) > 1:
            items = [apply_rule(entry, {**profile.figures, key: [v]}, catalogue) for v in values]
            if all(items) and sum(i.amount_yuan for i in items) == b.amount_yuan:
                out += [numbered(i, n) for n, i in enumerate(items, 1)]
                continue
        out.append(b)
    return out


def _one_item(benefits: list[Benefit], profile: Profile, catalogue: Catalogue) -> list[Benefit]:
    """One item and its figure not given: the per-item cap instead of the yearly one."""
    if not profile.one_item:
        return benefits
    out = []
    for b in benefits:
        entry = catalogue.entry(b.id)
        per_item_figure = entry.figure is not None and catalogue.figures[entry.figure].multiple
        capped = one_item_cap(entry, catalogue) if b.basis == "up_to" and per_item_figure else None
        out.append(capped or b)
    return out


def _counted(benefits: list[Benefit], profile: Profile, catalogue: Catalogue) -> list[Benefit]:
    """A one-time fixed or capped item of a recognition the asker has n of: n benefits."""
    out = []
    for b in benefits:
        entry = catalogue.entry(b.id)
        n = profile.counts.get(entry.trigger, 1)
        if n > 1 and b.basis in ("fixed", "up_to") and entry.period == "one_time" and entry.trigger in profile.triggers:
            out += [numbered(b, i) for i in range(1, n + 1)]
        else:
            out.append(b)
    return out


def _evaluate_together(profile: Profile, catalogue: Catalogue) -> Report:
    """Every money item the profile's triggers open, with amounts from its (common) figures."""
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
    labels], "figures": {key: int yuan | "1200万元" | [..] for per-item figures}}, and optionally
    "trigger_figures": {trigger: {key: amount}}, "counts": {trigger: n}, "summed": false (each item apart),
    "one_item": true (see Profile).

    Strings are parsed with calculators.money.parse_amount. Raises ProfileError on anything
    unknown or unparsable, naming the key."""
    catalogue = catalogue or load_catalogue()
    if not isinstance(data, Mapping):
        raise ProfileError("a profile is a JSON object with org_type, triggers and figures")
    keys = ("org_type", "triggers", "figures", "trigger_figures", "counts", "summed", "one_item")
    extra = set(data) - set(keys)
    if extra:
        raise ProfileError(f"unknown profile key(s): {', '.join(sorted(extra))}; use {', '.join(keys)}")

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

    figures = _figures_from_json(data.get("figures"), catalogue)
    by_id = {tid: tid for tid in catalogue.triggers} | by_trigger_label
    raw_own = data.get("trigger_figures") or {}
    raw_counts = data.get("counts") or {}
    if not isinstance(raw_own, Mapping) or not isinstance(raw_counts, Mapping):
        raise ProfileError("trigger_figures and counts are objects keyed by trigger id")
    unknown = [t for t in (*raw_own, *raw_counts) if t not in by_id]
    if unknown:
        raise ProfileError(f"unknown trigger {unknown[0]!r} (see triggers: in benefits.yaml)")
    own = {by_id[t]: _figures_from_json(v, catalogue) for t, v in raw_own.items()}
    counts = {by_id[t]: n for t, n in raw_counts.items()}
    one_item, summed = data.get("one_item", False), data.get("summed", True)
    if not isinstance(one_item, bool) or not isinstance(summed, bool):
        raise ProfileError("summed and one_item are true or false")
    try:
        profile = Profile(org_type=org_type, triggers=tuple(triggers), figures=figures, trigger_figures=own,
                          counts=counts, summed=summed, one_item=one_item)
    except ValidationError:
        raise ProfileError("counts are whole numbers") from None
    _check(profile, catalogue)  # counts ≥ 1
    return profile


def _figures_from_json(raw_figures: Any, catalogue: Catalogue) -> dict[str, int | tuple[int, ...]]:
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
    return figures
