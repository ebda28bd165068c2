"""Apply one catalogue entry's rule to the figures the user gave: `apply_rule(entry, figures)`.

| rule     | figure given                               | figure missing                              |
|----------|--------------------------------------------|---------------------------------------------|
| fixed    | basis fixed, the amount                    | (needs none)                                |
| up_to    | basis up_to, amount = the cap              | (needs none)                                |
| at_least | basis at_least, amount = the floor         | (needs none)                                |
| ratio    | basis computed, figure × rate, caps applied | basis up_to, amount = the cap, missing=[key]; |
|          |                                            | None when the rule has no cap               |
| match    | basis computed, figure × ratio, cap applied | up_to the cap, missing=[key]; None if no cap |
| equal    | basis computed, amount = figure            | None (the caller reports it as pending)     |

Rounding: figure × rate is exact in Decimal; the result is rounded to the yuan with
ROUND_HALF_UP (四舍五入到元) before caps are applied, and the formula shows the exact product
whenever it was not a whole number of yuan. Caps are then applied to the rounded amount.

Per-item figures (`multiple: true`, e.g. several deals): each item × rate, rounded, capped by
item_cap_yuan; the capped items are summed and the sum is capped by yearly_cap_yuan.
A single int given for a per-item figure counts as one item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from calculators.catalogue import (
    AtLeastRule,
    Catalogue,
    Entry,
    EqualRule,
    Figure,
    FixedRule,
    MatchRule,
    RatioRule,
    UpToRule,
    load_catalogue,
)
from calculators.format import PERIOD_LABELS, format_decimal_yuan, format_rate, format_ratio, format_yuan
from calculators.models import Basis, Benefit

FigureValue = int | Sequence[int]



def entry_note(entry: Entry) -> str:
    """Benefit.note: the conditions, then the entry's note, joined with ；."""
    return "；".join(p for p in (*entry.conditions, entry.note) if p)


def _benefit(entry: Entry, amount: int, basis: Basis, formula: str, missing: Sequence[str] = ()) -> Benefit:
    return Benefit(
        article=entry.article,
        clause=entry.clause,
        item=entry.item,
        amount_yuan=amount,
        basis=basis,
        period=entry.period,
        formula=formula,
        note=entry_note(entry),
        id=entry.id,
        quote=entry.quote,
        duration_years=entry.duration_years,
        missing=list(missing),
    )


def _check_amount(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"figure {key}: amounts are integer yuan, got {value!r}")
    if value < 0:
        raise ValueError(f"figure {key}: amount {value} is negative")
    return value


def figure_values(key: str, value: FigureValue | None, multiple: bool) -> list[int] | None:
    """Normalize a profile figure to a list of int yuan (None when absent or an empty list)."""
    if value is None:
        return None
    items = list(value) if isinstance(value, list | tuple) else [value]
    if not items:
        return None
    values = [_check_amount(key, v) for v in items]
    if not multiple and len(values) != 1:
        raise ValueError(f"figure {key} takes one amount, got {len(values)}")
    return values


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _product_text(product: Decimal, rounded: int) -> str:
    if product == rounded:
        return format_yuan(rounded)
    return f"{format_decimal_yuan(product)}，四舍五入为{format_yuan(rounded)}"


def _capped(amount: int, cap: int | None, cap_name: str = "上限") -> tuple[int, str]:
    """(amount after the cap, the text that follows the working)."""
    if cap is None:
        return amount, ""
    if amount > cap:
        return cap, f"，超过{cap_name}，按{cap_name}{format_yuan(cap)}"
    return amount, f"（{cap_name}{format_yuan(cap)}）"


def _ratio_single(entry: Entry, rule: RatioRule, x: int) -> Benefit:
    product = Decimal(x) * rule.rate
    raw = _round(product)
    amount, cap_text = _capped(raw, rule.cap_yuan)
    formula = f"{format_yuan(x)} × {format_rate(rule.rate)} = {_product_text(product, raw)}{cap_text}"
    return _benefit(entry, amount, "computed", formula)


def _ratio_items(entry: Entry, rule: RatioRule, xs: list[int]) -> Benefit:
    rate = format_rate(rule.rate)
    parts: list[str] = []
    values: list[int] = []
    item_cap_hit = False
    for x in xs:
        product = Decimal(x) * rule.rate
        raw = _round(product)
        text = f"{format_yuan(x)} × {rate} = {_product_text(product, raw)}"
        value = raw
        if rule.item_cap_yuan is not None and raw > rule.item_cap_yuan:
            value = rule.item_cap_yuan
            item_cap_hit = True
            text += f"，超过单个项目上限，按上限{format_yuan(value)}"
        parts.append(text)
        values.append(value)
    total = sum(values)
    formula = "；".join(parts)
    if len(values) > 1:
        formula += f"；合计 {' + '.join(format_yuan(v) for v in values)} = {format_yuan(total)}"
    amount = total
    caps_not_hit: list[str] = []
    if rule.item_cap_yuan is not None and not item_cap_hit:
        caps_not_hit.append(f"单个项目上限{format_yuan(rule.item_cap_yuan)}")
    if rule.yearly_cap_yuan is not None:
        if total > rule.yearly_cap_yuan:
            amount = rule.yearly_cap_yuan
            formula += f"，超过每年上限，按每年上限{format_yuan(amount)}"
        else:
            caps_not_hit.append(f"每年上限{format_yuan(rule.yearly_cap_yuan)}")
    if caps_not_hit:
        formula += f"（{'，'.join(caps_not_hit)}）"
    return _benefit(entry, amount, "computed", formula)


def _ratio_missing(entry: Entry, rule: RatioRule, figure: Figure) -> Benefit | None:
    base = f"{figure.label} × {format_rate(rule.rate)}"
    if figure.multiple:
        if rule.yearly_cap_yuan is None:
            return None
        caps = []
        if rule.item_cap_yuan is not None:
            caps.append(f"单个项目最高{format_yuan(rule.item_cap_yuan)}")
        caps.append(f"每年最高{format_yuan(rule.yearly_cap_yuan)}")
        return _benefit(entry, rule.yearly_cap_yuan, "up_to", f"{base}，{'，'.join(caps)}", [figure.key])
    if rule.cap_yuan is None:
        return None
    return _benefit(entry, rule.cap_yuan, "up_to", f"{base}，最高{format_yuan(rule.cap_yuan)}", [figure.key])


def _match(entry: Entry, rule: MatchRule, figure: Figure, x: int | None) -> Benefit | None:
    ratio = format_ratio(rule.ratio)
    if x is None:
        if rule.cap_yuan is None:
            return None
        formula = f"{figure.label}按{ratio}配套，最高{format_yuan(rule.cap_yuan)}"
        return _benefit(entry, rule.cap_yuan, "up_to", formula, [figure.key])
    product = Decimal(x) * rule.ratio
    raw = _round(product)
    amount, cap_text = _capped(raw, rule.cap_yuan)
    formula = f"{figure.label}{format_yuan(x)}，按{ratio}配套 = {_product_text(product, raw)}{cap_text}"
    return _benefit(entry, amount, "computed", formula)


def apply_rule(
    entry: Entry,
    figures: Mapping[str, FigureValue] | None = None,
    catalogue: Catalogue | None = None,
) -> Benefit | None:
    """The benefit `entry` gives with these figures (int yuan, or a list for per-item figures).

    Returns None when the amount depends on a figure that is missing and the text sets no cap
    (match without cap, equal): the caller reports the entry as pending. `catalogue` supplies
    the figure labels (default: the loaded catalogue). Raises ValueError for a malformed figure.
    """
    figures = figures or {}
    rule = entry.rule
    prefix = "" if entry.period == "one_time" else PERIOD_LABELS[entry.period]
    if isinstance(rule, FixedRule):
        return _benefit(entry, rule.amount_yuan, "fixed", f"定额 {format_yuan(rule.amount_yuan)}")
    if isinstance(rule, UpToRule):
        return _benefit(entry, rule.cap_yuan, "up_to", f"{prefix}最高{format_yuan(rule.cap_yuan)}")
    if isinstance(rule, AtLeastRule):
        return _benefit(entry, rule.floor_yuan, "at_least", f"{prefix}不低于{format_yuan(rule.floor_yuan)}")

    figure = (catalogue or load_catalogue()).figures[rule.figure]
    values = figure_values(figure.key, figures.get(figure.key), figure.multiple)
    if isinstance(rule, RatioRule):
        if values is None:
            return _ratio_missing(entry, rule, figure)
        if figure.multiple:
            return _ratio_items(entry, rule, values)
        return _ratio_single(entry, rule, values[0])
    if isinstance(rule, MatchRule):
        return _match(entry, rule, figure, values[0] if values else None)
    if isinstance(rule, EqualRule):
        if values is None:
            return None
        x = values[0]
        return _benefit(entry, x, "computed", f"{figure.label}{format_yuan(x)}，等额给予{format_yuan(x)}")
    raise TypeError(f"unknown rule {rule!r}")  # pragma: no cover - the union is closed


def apply_rule_items(
    entry: Entry,
    figures: Mapping[str, FigureValue] | None = None,
    catalogue: Catalogue | None = None,
) -> list[Benefit] | None:
    """Like apply_rule, but a single-value figure given for several items (two projects'
    allocations, two products' unit prices) gives one benefit per item, each computed and capped
    on its own ("（第1项）", "（第2项）"): separate projects and products are separate money items
    (their sum is in the totals), as nine blind writers expected even with the total asked. Per-item
    figures (``multiple``: deals, whose yearly cap binds their sum) stay one benefit; None as apply_rule."""
    figures = figures or {}
    key = entry.figure
    value = figures.get(key) if key else None
    catalogue = catalogue or load_catalogue()
    if key is None or catalogue.figures[key].multiple or not isinstance(value, list | tuple) or len(value) < 2:
        if key is not None and isinstance(value, list | tuple) and len(value) == 1:
            figures = {**figures, key: value[0]}
        benefit = apply_rule(entry, figures, catalogue)
        return None if benefit is None else [benefit]
    return [numbered(apply_rule(entry, {**figures, key: item}, catalogue), i) for i, item in enumerate(value, 1)]


def one_item_cap(entry: Entry, catalogue: Catalogue | None = None) -> Benefit | None:
    """The cap of a per-item entry for a single item whose figure is not given ("促成了一个技术成果
    落地，能奖多少": at most the single-project cap, not the yearly one); None without an item cap."""
    rule = entry.rule
    if not isinstance(rule, RatioRule) or rule.item_cap_yuan is None:
        return None
    figure = (catalogue or load_catalogue()).figures[rule.figure]
    base = f"{figure.label} × {format_rate(rule.rate)}"
    return _benefit(entry, rule.item_cap_yuan, "up_to", f"{base}，单个项目最高{format_yuan(rule.item_cap_yuan)}",
                    [figure.key])


def numbered(benefit: Benefit, n: int) -> Benefit:
    """The benefit of the n-th item of several ("（第2项）")."""
    return benefit.model_copy(update={"item": f"{benefit.item}（第{n}项）", "formula": f"第{n}项：{benefit.formula}"})
