"""compose(facts) -> Reply: the only place reply text is written, from the templates in
prompts/replies.yaml, corpus text, catalogue figures and calculator results. No number here is
typed by hand and no sentence is written in code (tests/dialogue/test_layers.py checks it)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bot.dialogue.facts import Ask, Facts, OptionRef, Say
from bot.dialogue.reply import Option, Reply
from calculators.format import BASIS_PREFIX, PERIOD_LABELS, format_rate, format_ratio, format_yuan
from calculators.models import Benefit
from calculators.yamlfile import load_yaml

PROMPTS = Path(__file__).resolve().parent.parent.parent / "prompts" / "replies.yaml"


@cache
def templates() -> dict:
    data = load_yaml(PROMPTS.read_text(encoding="utf-8"))
    for section in ("texts", "options", "basis_labels", "rules"):
        if not isinstance(data.get(section), dict):
            raise ValueError(f"{PROMPTS}: section {section}: is missing")
    return data


def text(template: str, /, **args) -> str:
    """One template of prompts/replies.yaml (section texts), filled."""
    return templates()["texts"][template].format_map(args)


def render(message: Say) -> str:
    """A message: its template filled; a Say among the arguments is rendered, a list joined."""
    return text(message.key, **{k: _arg(v) for k, v in message.args.items()})


def _arg(value):
    if isinstance(value, Say):
        return render(value)
    if isinstance(value, list | tuple):
        return _list(_arg(v) for v in value)
    return value


def basis_label(basis: str) -> str:
    return templates()["basis_labels"].get(basis, basis)


def _rule_text(key: str, **args) -> str:
    return templates()["rules"][key].format_map(args)


# --- pieces -------------------------------------------------------------------------------------

def article_heading(article) -> str:
    return text("article_heading", label=article.label, title=article.title)


def clause_ref(article, clause_id: str) -> str:
    return text("clause_ref", label=article.label, clause=clause_id)


def describe_rule(entry, catalogue) -> str:
    """A catalogue rule in words: '一次性 30万元', '按上年度研发投入的20%，最高500万元（每年）'."""
    rule = entry.rule
    period = PERIOD_LABELS.get(entry.period, entry.period)
    figure = catalogue.figures[rule.figure].label if getattr(rule, "figure", None) else _rule_text("any_figure")
    if rule.kind == "fixed":
        out = _rule_text("fixed", period=period, amount=format_yuan(rule.amount_yuan))
    elif rule.kind == "up_to":
        out = _rule_text("up_to", period=period, cap=format_yuan(rule.cap_yuan))
    elif rule.kind == "at_least":
        out = _rule_text("at_least", period=period, floor=format_yuan(rule.floor_yuan))
    elif rule.kind == "ratio":
        caps = [_rule_text(name, amount=format_yuan(value)) for name, value in
                (("ratio_cap", rule.cap_yuan), ("ratio_item_cap", rule.item_cap_yuan),
                 ("ratio_yearly_cap", rule.yearly_cap_yuan)) if value]
        sep = _rule_text("separator")
        out = _rule_text("ratio", figure=figure, rate=format_rate(rule.rate),
                         caps=(sep + sep.join(caps)) if caps else "", period=period)
    elif rule.kind == "match":
        cap = _rule_text("match_cap", amount=format_yuan(rule.cap_yuan)) if rule.cap_yuan else ""
        out = _rule_text("match", figure=figure, ratio=format_ratio(rule.ratio), cap=cap, period=period)
    elif rule.kind == "equal":
        out = _rule_text("equal", figure=figure)
    else:
        out = period
    return out + (_rule_text("years", years=entry.duration_years) if entry.duration_years else "")


def benefit_line(b: Benefit, index: int, words: str = "") -> str:
    years = text("benefit_years", years=b.duration_years) if b.duration_years else ""
    formula = b.formula + (text("benefit_source", words=words) if words and b.basis == "computed" else "")
    line = text("benefit_line", index=index, item=b.item, amount=BASIS_PREFIX[b.basis] + format_yuan(b.amount_yuan),
                period=PERIOD_LABELS.get(b.period, b.period), years=years, article=b.article, clause=b.clause,
                formula=formula)
    if b.note:
        line += "\n" + text("benefit_note", note=b.note)
    return line


def validity_line(policy) -> str:
    return text("validity", issued=_date(policy.issued), effective=_date(policy.effective),
                expires=_date(policy.expires))


def _date(day) -> str:
    return text("date", year=day.year, month=day.month, day=day.day)


def departments_line(departments) -> str:
    return text("departments", departments=_list(departments)) if departments else ""


def _list(items) -> str:
    return _rule_text("list_separator").join(items)


def article_text(article) -> str:
    lines = [text("article_full_heading", heading=article_heading(article), chapter=article.chapter,
                  chapter_title=article.chapter_title)]
    lines += [text("clause_line", clause=c.id, text=c.text) for c in article.clauses]
    if article.departments:
        lines.append(text("departments_in_article", departments=_list(article.departments)))
    return "\n".join(lines)


def articles_list(policy) -> str:
    lines = [text("articles_head", title=policy.title, chapters=len(policy.chapters), articles=len(policy.articles))]
    for chapter in policy.chapters:
        lines.append(text("articles_chapter", number=chapter.number, title=chapter.title))
        for n in chapter.articles:
            a = policy.article(n)
            lines.append(text("articles_item", label=a.label, title=a.title))
    lines.append(text("articles_tail"))
    return "\n".join(lines)


def totals_lines(totals) -> list[str]:
    """Certain money and caps shown apart: a cap is not money promised (calculators.evaluate.Totals)."""
    certain = [(totals.one_time_yuan, "totals_one_time"), (totals.per_year_yuan, "totals_per_year")]
    caps = [(totals.up_to_one_time_yuan, "totals_one_time_cap"), (totals.up_to_per_year_yuan, "totals_per_year_cap")]
    lines = []
    for group, head in ((certain, "totals_certain"), (caps, "totals_caps")):
        parts = [text(key, amount=format_yuan(v)) for v, key in group if v]
        if parts:
            lines.append(text(head, parts="；".join(parts)))
    return lines


def option(ref: OptionRef, catalogue) -> Option:
    kind, _, value = ref.id.partition(":")
    if kind == "org":
        label = catalogue.org_types[value]
    elif kind == "trigger":
        label = catalogue.triggers[value].label
    else:
        label = templates()["options"][ref.id].format_map(ref.args)
    return Option(id=ref.id, label=label)


def known_option(choice: str, catalogue) -> Option | None:
    """Any option the core offers, found by its id or its label (a press from an older message)."""
    refs = [OptionRef(id=f"org:{k}") for k in catalogue.org_types]
    refs += [OptionRef(id=f"trigger:{t}") for t in catalogue.triggers]
    refs += [OptionRef(id=i) for i, label in templates()["options"].items() if "{" not in label]
    for ref in refs:
        option_ = option(ref, catalogue)
        if choice in (option_.id, option_.label):
            return option_
    return None


def ask_text(ask: Ask, catalogue) -> str:
    return catalogue.figures[ask.figure].ask if ask.figure else render(ask.prompt)


# --- the reply ----------------------------------------------------------------------------------

def _report_lines(report, knowledge) -> list[str]:
    catalogue = knowledge.catalogue
    lines: list[str] = []
    if report.benefits:
        lines.append(text("report_head_final", count=len(report.benefits)) if report.final else text("report_head"))
        for i, b in enumerate(report.benefits, 1):
            entry_figure = catalogue.entry(b.id).figure if b.id else None
            lines.append(benefit_line(b, i, report.figure_words.get(entry_figure, "") if entry_figure else ""))
        lines.extend([text("alternatives")] if report.alternatives else totals_lines(report.totals))
    shown = {b.id for b in report.benefits}
    for p in report.pending:
        if p.entry_id not in shown:
            entry = catalogue.entry(p.entry_id)
            lines.append(text("pending_item", item=entry.item, rule=describe_rule(entry, catalogue),
                              figures=_list(catalogue.figures[f].label for f in p.figures),
                              article=entry.article, clause=entry.clause))
    if report.missing:
        lines.append(text("ask_missing", ask=catalogue.figures[report.missing[0]].ask))
    if report.skipped:
        lines.append(text("skipped", labels=_list(catalogue.figures[k].label for k in report.skipped)))
    return lines


def _answer_lines(answer, knowledge) -> list[str]:
    policy, catalogue = knowledge.policy, knowledge.catalogue
    article = policy.article(answer.article)
    lines = [text("answer_head", heading=article_heading(article))]
    lines += [clause_ref(article, cid) + policy.clause(cid).text for cid in answer.clauses]
    if answer.money_entries:
        lines.append(text("money_items_head"))
        lines += [text("money_item", item=catalogue.entry(e).item, rule=describe_rule(catalogue.entry(e), catalogue))
                  for e in answer.money_entries]
    elif answer.no_money:
        lines.append(text("no_money"))
    return lines


def body_lines(facts: Facts, knowledge) -> list[str]:
    """The reply's body, without the question being asked (front ends may lay that out apart)."""
    policy, catalogue = knowledge.policy, knowledge.catalogue
    lines = [render(m) for m in facts.lead]
    if facts.help:
        lines.append(text("help"))
    if facts.articles_list:
        lines.append(articles_list(policy))
    if facts.article is not None:
        article = policy.article(facts.article)
        lines.append(article_text(article))
        items = catalogue.entries_for_article(facts.article)
        if items:
            lines.append(text("money_items_head"))
            lines += [text("money_item", item=e.item, rule=describe_rule(e, catalogue)) for e in items]
    if facts.answer is not None:
        lines += _answer_lines(facts.answer, knowledge)
    if facts.not_covered is not None:
        nc = facts.not_covered
        if nc.place:
            name = nc.place.title() if nc.place.isascii() else nc.place
            lines.append(text("other_place", place=name))
        for u in nc.unpaid:
            paid = "、".join(text(f"level_name.{lv}") for lv in u.paid)
            heading = article_heading(policy.article(u.article))
            if u.issuer:
                lines.append(text("foreign_issuer", said=u.said, issuer=u.issuer, paid=paid, heading=heading))
            else:
                lines.append(text("unpaid_level", said=u.said, level=text(f"level_name.{u.level}"), paid=paid,
                                  heading=heading))
        if nc.levels_asked:
            lines += [clause_ref(policy.article(c.article), c.clause) + policy.clause(c.clause).text
                      for c in facts.citations]
        else:
            lines += [text("not_covered"), text("covered_nearby"), text("not_covered_try")]
        if nc.related and not nc.levels_asked:
            lines.append(text("not_covered_related",
                              headings=_list(article_heading(policy.article(n)) for n in nc.related)))
    if facts.report is not None:
        lines += _report_lines(facts.report, knowledge)
    lines += [render(m) for m in facts.notes]
    if facts.answer is not None and facts.answer.related:
        lines.append(text("related_articles", headings=_list(article_heading(policy.article(n))
                                                              for n in facts.answer.related)))
    if facts.validity and facts.report is None:
        lines.append(validity_line(policy))
    if facts.art30:
        lines.append(text("art30"))
    if facts.validity and facts.report is not None:
        lines.append(validity_line(policy))
    if facts.departments and facts.article is None:  # an article lists its 责任单位 itself
        lines.append(departments_line(facts.departments))
    return [line for line in lines if line]


def _benefits(facts: Facts) -> list[Benefit]:
    """The reply's benefits; a computed one's formula names the user's words it came from."""
    if not facts.covered or facts.report is None:
        return []
    out = []
    for b in facts.report.benefits:
        figure = _figure_of(b)
        words = facts.report.figure_words.get(figure, "") if figure else ""
        if words and b.basis == "computed":
            b = b.model_copy(update={"formula": b.formula + text("benefit_source", words=words)})
        out.append(b)
    return out


def _figure_of(b: Benefit) -> str | None:
    from calculators.catalogue import load_catalogue

    return load_catalogue().entry(b.id).figure if b.id else None


def compose(facts: Facts, knowledge, *, session: str, profile: dict) -> Reply:
    catalogue = knowledge.catalogue
    body = "\n".join(body_lines(facts, knowledge))
    question = "\n".join(ask_text(q, catalogue) if isinstance(q, Ask) else render(q) for q in facts.question)
    if question and facts.resume:
        reply_text = body + "\n\n" + text("resume") + question
    elif question and not body.endswith(question):
        reply_text = body + ("\n" if body else "") + question
    else:
        reply_text = body
    options = [option(o, catalogue) for o in facts.options]
    return Reply(
        session=session,
        reply=reply_text,
        covered=facts.covered,
        citations=list(facts.citations),
        benefits=_benefits(facts),
        asks=[ask_text(a, catalogue) for a in facts.asks],
        choices=[o.label for o in options],
        options=options,
        profile=profile,
        intent=facts.intent,
        departments=list(facts.departments),
    )
