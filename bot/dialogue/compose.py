"""Reply texts: plain Chinese, built only from corpus text, catalogue figures and calculator
results (front ends convert the format). No number here is typed by hand."""

from __future__ import annotations

from calculators.catalogue import Catalogue
from calculators.format import BASIS_PREFIX, PERIOD_LABELS, format_rate, format_ratio, format_yuan
from calculators.models import Benefit
from retrieval.corpus import Article, Policy

BASIS_LABELS = {
    "fixed": "定额",
    "up_to": "最高",
    "at_least": "不低于",
    "computed": "按公式计算",
}

HELP_TEXT = (
    "您好，我是鄂尔多斯“科技新政30条”（科技“突围”工程、新质生产力若干政策）的政策助手。\n"
    "1. 问政策：如“被认定为国家高新技术企业（高企）能拿多少”“买外地的技术专利能补吗”“第十七条讲什么”；\n"
    "2. 算金额：如“新型研发机构，上年度研发投入1200万，能补多少”，我会给出公式和条款原文；\n"
    "3. 测资格：发送“我想看看我们能享受哪些政策”（或 /check），按提示选择即可；随时可说“不对，是1500万”更正、“跳过”、“重新开始”。"
)


def article_heading(article: Article) -> str:
    return f"第{article.label}条「{article.title}」"


def clause_ref(article: Article, clause_id: str) -> str:
    return f"「第{article.label}条 {clause_id}」"


def benefit_line(b: Benefit, index: int | None = None) -> str:
    prefix = f"{index}. " if index is not None else "• "
    period = PERIOD_LABELS.get(b.period, b.period)
    amount_text = BASIS_PREFIX[b.basis] + format_yuan(b.amount_yuan)
    years = f"，最长{b.duration_years}年" if b.duration_years else ""
    line = f"{prefix}{b.item}：{amount_text}（{period}{years}）〔第{b.article}条 {b.clause}〕\n   计算：{b.formula}"
    if b.note:
        line += f"\n   说明：{b.note}"
    return line


def article_text(article: Article) -> str:
    lines = [f"{article_heading(article)}（第{article.chapter}章 {article.chapter_title}）"]
    for c in article.clauses:
        lines.append(f"{c.id} {c.text}")
    if article.departments:
        lines.append("责任单位：" + "、".join(article.departments))
    return "\n".join(lines)


def articles_list(policy: Policy) -> str:
    lines = [f"《{policy.title}》共{len(policy.chapters)}章{len(policy.articles)}条："]
    for chapter in policy.chapters:
        lines.append(f"{chapter.number}、{chapter.title}")
        for n in chapter.articles:
            a = policy.article(n)
            lines.append(f"  第{a.label}条 {a.title}")
    lines.append("发送“第N条”查看原文，例如：第十五条。")
    return "\n".join(lines)


def validity_line(policy: Policy) -> str:
    return (
        f"本政策{policy.issued:%Y年%-m月%-d日}印发，自发布之日起30日后施行（{policy.effective:%Y年%-m月%-d日}），"
        f"有效期五年（至{policy.expires:%Y年%-m月%-d日}）。"
    )


def art30_line() -> str:
    return "同时符合市本级其它政策条件的，按照“就高、从优、不重复”原则执行〔第三十条〕。"


def totals_lines(totals) -> list[str]:
    """Certain money and caps shown apart: a cap is not money promised (calculators.evaluate.Totals)."""
    lines = []
    certain = [(totals.one_time_yuan, "一次性（含按项目）"), (totals.per_year_yuan, "每年")]
    caps = [(totals.up_to_one_time_yuan, "一次性（含按项目）最高"), (totals.up_to_per_year_yuan, "每年最高")]
    if any(v for v, _ in certain):
        lines.append("确定金额合计：" + "；".join(f"{label} {format_yuan(v)}" for v, label in certain if v))
    if any(v for v, _ in caps):
        lines.append("仅有上限的项目（具体金额按配套实施细则核定）：" + "；".join(f"{label} {format_yuan(v)}" for v, label in caps if v))
    return lines


def departments_line(departments: list[str]) -> str:
    return "咨询/申报部门：" + "、".join(departments) if departments else ""


def describe_rule(entry, catalogue: Catalogue | None = None) -> str:
    """A catalogue rule in words: '一次性 30万元', '上年度研发投入 × 20%，最高500万元'."""
    rule = entry.rule
    period = PERIOD_LABELS.get(entry.period, entry.period)
    years = f"（最长{entry.duration_years}年）" if entry.duration_years else ""
    figure_label = ""
    if getattr(rule, "figure", None) and catalogue is not None:
        figure_label = catalogue.figures[rule.figure].label
    figure_label = figure_label or "申报金额"
    if rule.kind == "fixed":
        text = f"{period} {format_yuan(rule.amount_yuan)}"
    elif rule.kind == "up_to":
        text = f"{period}最高{format_yuan(rule.cap_yuan)}（文件仅规定上限，具体金额按配套实施细则确定）"
    elif rule.kind == "at_least":
        text = f"{period}不低于{format_yuan(rule.floor_yuan)}"
    elif rule.kind == "ratio":
        caps = []
        if rule.cap_yuan:
            caps.append(f"最高{format_yuan(rule.cap_yuan)}")
        if rule.item_cap_yuan:
            caps.append(f"单个项目最高{format_yuan(rule.item_cap_yuan)}")
        if rule.yearly_cap_yuan:
            caps.append(f"每年不超过{format_yuan(rule.yearly_cap_yuan)}")
        text = f"按{figure_label}的{format_rate(rule.rate)}" + ("，" + "，".join(caps) if caps else "") + f"（{period}）"
    elif rule.kind == "match":
        cap = f"，最高{format_yuan(rule.cap_yuan)}" if rule.cap_yuan else ""
        text = f"按{figure_label} {format_ratio(rule.ratio)} 配套{cap}（{period}）"
    elif rule.kind == "equal":
        text = f"按{figure_label}等额给予"
    else:
        text = period
    return text + years
