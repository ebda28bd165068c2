"""How a Reply reads on a web page: the words for bases and periods, amounts in 万元, totals, the
options, and article labels. Pure functions over the Reply; the templates do the markup (and all
the escaping: Jinja2 autoescape).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from bot.dialogue.reply import Citation, Option, Reply
from bot.web.turns import is_finish, is_multi_select, options_of
from calculators.evaluate import PER_YEAR_PERIODS
from calculators.format import BASIS_PREFIX, PERIOD_LABELS, format_yuan
from calculators.models import Benefit

BASIS_WORDS = {
    "fixed": "定额：原文写明金额",
    "up_to": "最高限额：原文只写上限，具体金额由实施细则确定",
    "at_least": "保底：原文写明“不低于”",
    "computed": "按您提供的数据计算（已套用上限）",
}
_CN = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99: 15 -> 十五, 20 -> 二十."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN[ones]
    return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[ones] if ones else "")


def article_label(article: int, clause: str = "") -> str:
    """第（十五）条 15.2"""
    return f"第（{chinese_number(article)}）条" + (f" {clause}" if clause else "")


@cache
def _figure_labels() -> dict[str, str]:
    from calculators.catalogue import load_catalogue

    return {key: fig.label for key, fig in load_catalogue().figures.items()}


def figure_label(key: str) -> str:
    return _figure_labels().get(key, key)


@dataclass(frozen=True)
class BenefitRow:
    item: str
    amount: str
    basis: str
    formula: str
    period: str
    clause: str
    article: int
    note: str
    missing: list[str]
    quote: str


def amount_text(b: Benefit) -> str:
    if b.amount_yuan == 0 and b.missing:
        return "待补充数据后计算"
    return BASIS_PREFIX.get(b.basis, "") + format_yuan(b.amount_yuan)


def period_text(b: Benefit) -> str:
    text = PERIOD_LABELS.get(b.period, b.period)
    if b.duration_years:
        text += f"（{b.duration_years}年）"
    return text


def benefit_row(b: Benefit) -> BenefitRow:
    return BenefitRow(
        item=b.item, amount=amount_text(b), basis=BASIS_WORDS.get(b.basis, b.basis), formula=b.formula,
        period=period_text(b), clause=article_label(b.article, b.clause), article=b.article, note=b.note,
        missing=[figure_label(k) for k in b.missing], quote=b.quote,
    )


@dataclass(frozen=True)
class Totals:
    one_time_yuan: int = 0
    per_year_yuan: int = 0
    up_to_one_time_yuan: int = 0
    up_to_per_year_yuan: int = 0

    @property
    def lines(self) -> list[str]:
        """确定金额 first; caps apart (a cap is not money promised). Same buckets as the calculators."""
        out = []
        sure = []
        if self.one_time_yuan:
            sure.append(f"一次性（含按项目） {format_yuan(self.one_time_yuan)}")
        if self.per_year_yuan:
            sure.append(f"每年 {format_yuan(self.per_year_yuan)}")
        if sure:
            out.append("确定金额合计：" + "；".join(sure))
        caps = []
        if self.up_to_one_time_yuan:
            caps.append(f"一次性 {format_yuan(self.up_to_one_time_yuan)}")
        if self.up_to_per_year_yuan:
            caps.append(f"每年 {format_yuan(self.up_to_per_year_yuan)}")
        if caps:
            out.append("仅写明上限的项目，最高合计：" + "；".join(caps) + "（以审核结果为准）")
        return out


def totals(benefits: list[Benefit]) -> Totals:
    sums = {"one_time": 0, "per_year": 0, "up_to_one_time": 0, "up_to_per_year": 0}
    for b in benefits:
        bucket = "per_year" if b.period in PER_YEAR_PERIODS else "one_time"
        if b.basis == "up_to":
            bucket = "up_to_" + bucket
        sums[bucket] += b.amount_yuan
    return Totals(sums["one_time"], sums["per_year"], sums["up_to_one_time"], sums["up_to_per_year"])


@dataclass(frozen=True)
class CitationView:
    label: str
    article: int
    clause: str
    title: str
    quote: str


def citation_view(c: Citation) -> CitationView:
    return CitationView(article_label(c.article, c.clause), c.article, c.clause, c.title, c.quote)


@dataclass(frozen=True)
class ReplyView:
    """Everything a template shows for one reply."""

    reply: Reply
    text: str
    citations: list[CitationView]
    benefits: list[BenefitRow]
    totals: list[str]
    asks: list[str]  # the questions not already in the text
    departments: list[str]
    options: list[Option]
    multi: bool
    finish: list[Option] = field(default_factory=list)
    toggles: list[Option] = field(default_factory=list)
    related: list[tuple[int, str]] = field(default_factory=list)  # (article, title), first first

    @property
    def covered(self) -> bool:
        return self.reply.covered


def view(reply: Reply) -> ReplyView:
    options = options_of(reply)
    multi = is_multi_select(options)
    related: list[tuple[int, str]] = []
    for c in reply.citations:
        if all(a != c.article for a, _ in related):
            related.append((c.article, c.title))
    return ReplyView(
        reply=reply,
        text=reply.reply,
        citations=[citation_view(c) for c in reply.citations],
        benefits=[benefit_row(b) for b in reply.benefits],
        totals=totals(reply.benefits).lines if reply.benefits else [],
        asks=[a for a in reply.asks if a.strip() and a.strip() not in reply.reply],
        departments=list(reply.departments),
        options=options,
        multi=multi,
        finish=[o for o in options if is_finish(o)] if multi else [],
        toggles=[o for o in options if not is_finish(o)] if multi else options,
        related=related,
    )
