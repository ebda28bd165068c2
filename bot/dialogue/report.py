"""An eligibility report as facts: evaluate the session's facts, decide what to ask next.

    decision = report(turn, state, triggers, final=False, primary=15)

`state` is the session as it will be after this turn's other events (a preview), so the report
shows what was just told. The report asks for the first missing figure (AskFigure) and, after a
one-shot answer with nothing left to ask, offers the guided check (OfferForm).
"""

from __future__ import annotations

from bot.dialogue.facts import Ask, Facts, OptionRef, ReportFacts, say
from bot.dialogue.reply import Citation
from bot.dialogue.state import AskFigure, OfferForm, SessionState
from bot.dialogue.turn import Decision
from calculators.evaluate import Report, evaluate, totals_of
from calculators.grammar import lexicon
from calculators.models import Profile
from calculators.rules import apply_rule, numbered, one_item_cap


def citation(knowledge, article: int, clause: str, quote: str) -> Citation:
    return Citation(article=article, clause=clause, title=knowledge.policy.article(article).title, quote=quote)


def first_clause_citation(knowledge, article: int) -> Citation:
    clause = knowledge.policy.article(article).clauses[0]
    return citation(knowledge, article, clause.id, clause.text)


def profile_of(state: SessionState, triggers, *, final: bool) -> Profile:
    return Profile(org_type=state.org_type if final else None, triggers=tuple(triggers), figures=dict(state.figures))


def evaluate_session(state: SessionState, triggers, catalogue, *, final: bool) -> Report:
    """evaluate() for the session: recognitions with figures of their own (trigger_figures) are
    evaluated each with its own, the rest together; one report in article order."""
    bound = [t for t in triggers if state.trigger_figures.get(t)]
    common = [t for t in triggers if t not in bound]
    reports = [evaluate(profile_of(state, common, final=final), catalogue)] if common or not bound else []
    for trigger in bound:
        own = Profile(org_type=state.org_type if final else None, triggers=(trigger,),
                      figures={**state.figures, **state.trigger_figures[trigger]})
        reports.append(evaluate(own, catalogue))
    if len(reports) == 1:
        return reports[0]
    order = {e.id: i for i, e in enumerate(catalogue.entries)}
    benefits = sorted((b for r in reports for b in r.benefits), key=lambda b: order.get(b.id, 0))
    pending = [p for r in reports for p in r.pending]
    missing = list(dict.fromkeys(k for r in reports for k in r.missing_figures))
    departments = list(dict.fromkeys(d for r in reports for d in r.departments))
    return Report(benefits=benefits, pending=pending, missing_figures=missing,
                  asks=[catalogue.figures[k].ask for k in missing], totals=totals_of(benefits), departments=departments)


def _without_denied_conditions(result: Report, denied: frozenset[str], catalogue):
    """The report without the items whose condition the message says is not met ("我们只是第二
    完成单位" for 25.3's 第一完成单位), and those (entry id, condition) pairs, to be cited with it."""
    if not denied:
        return result, []
    unmet = [(b.id, c) for b in result.benefits for c in catalogue.entry(b.id).conditions if c in denied]
    unmet += [(p.entry_id, c) for p in result.pending for c in catalogue.entry(p.entry_id).conditions if c in denied]
    if not unmet:
        return result, []
    out = {eid for eid, _ in unmet}
    benefits = [b for b in result.benefits if b.id not in out]
    pending = [p for p in result.pending if p.entry_id not in out]
    return result.model_copy(update={"benefits": benefits, "pending": pending, "totals": totals_of(benefits)}), unmet


def per_item(benefits, state: SessionState, catalogue, *, asked: bool) -> list:
    """Each item of a per-item figure as its own benefit ("每个项目奖多少": three deals, three
    amounts; or deals told one message at a time), when the yearly cap does not bind; a binding
    cap is one sum and stays one."""
    out = []
    for b in benefits:
        entry = catalogue.entry(b.id)
        key = entry.figure
        values = state.figures.get(key) if key else None
        listed = (key is not None and catalogue.figures[key].multiple and b.basis == "computed"
                  and (asked or key in state.figures_apart) and isinstance(values, list | tuple) and len(values) > 1)
        if listed:
            items = [apply_rule(entry, {**state.figures, key: [v]}, catalogue) for v in values]
            if all(items) and sum(i.amount_yuan for i in items) == b.amount_yuan:  # the yearly cap did not bind
                out += [numbered(i, n) for n, i in enumerate(items, 1)]
                continue
        out.append(b)
    return out


def counted(benefits, state: SessionState, catalogue) -> list:
    """A one-time sum of a recognition the asker has several of ("两个自治区重点实验室"): one each."""
    out = []
    for b in benefits:
        entry = catalogue.entry(b.id)
        n = state.trigger_counts.get(entry.trigger, 1)
        if n > 1 and b.basis in ("fixed", "up_to") and entry.period == "one_time" and entry.trigger in state.triggers:
            out += [numbered(b, i) for i in range(1, n + 1)]
        else:
            out.append(b)
    return out


def single_item(benefits, text: str, catalogue) -> list:
    """One item said ("促成了一个技术成果落地") and its figure not given: the per-item cap."""
    if not lexicon().search("one_item", text):
        return benefits
    out = []
    for b in benefits:
        entry = catalogue.entry(b.id)
        per_item_figure = entry.figure is not None and catalogue.figures[entry.figure].multiple
        capped = one_item_cap(entry, catalogue) if b.basis == "up_to" and per_item_figure else None
        out.append(capped or b)
    return out


def alternatives(catalogue, triggers) -> bool:
    """Two levels of one thing (国家级/自治区级众创空间) among the triggers shown."""
    levels: dict[str, set[str]] = {}
    for tid in triggers:
        trigger = catalogue.triggers[tid]
        levels.setdefault(trigger.object, set()).add(trigger.level)
    return any(len(v) > 1 for v in levels.values())


def report(turn, state: SessionState, triggers, *, final: bool = False, primary: int | None = None,
           lead=(), notes=(), asks=(), options=(), question=(), intent: str | None = None) -> Decision:
    """The report for `triggers` on `state`'s figures. `asks`/`options`/`question` are a question
    the caller asks besides (a level); figure asks follow them."""
    k = turn.knowledge
    catalogue = k.catalogue
    result = evaluate_session(state, triggers, catalogue, final=final)
    result, unmet = _without_denied_conditions(result, turn.frame.denied_conditions, catalogue)
    notes = (*notes, *(say("condition_unmet", item=catalogue.entry(eid).item, condition=cond) for eid, cond in unmet))
    benefits = list(result.benefits)
    benefits = per_item(benefits, state, catalogue, asked=bool(lexicon().search("asks_each", turn.frame.text)))
    benefits = single_item(benefits, turn.frame.text, catalogue)
    benefits = counted(benefits, state, catalogue)
    if primary is not None:  # the article the question is about leads; the rest keep article order
        benefits.sort(key=lambda b: b.article != primary)
    missing = tuple(key for key in result.missing_figures if key not in state.skipped)
    skipped = tuple(key for key in result.missing_figures if key in state.skipped)
    asked = {a.figure for a in asks if a.figure}
    all_asks = [*asks, *(Ask(figure=key) for key in missing if key not in asked)]  # a figure is asked once
    offer = not final and not all_asks and not options and bool(benefits)
    if offer:
        question = (say("offer_form"),)
        options = [OptionRef(id=f"org:{key}") for key in catalogue.org_types]
    cited: list[Citation] = []
    seen: set[str] = set()
    pairs = [(b.article, b.clause, b.quote) for b in benefits]
    pairs += [(e.article, e.clause, e.quote) for e in (catalogue.entry(eid) for eid, _ in unmet)]
    pairs += [(p.article, p.clause, p.quote) for p in result.pending]
    for article, clause, quote in pairs:
        if clause not in seen:
            seen.add(clause)
            cited.append(citation(k, article, clause, quote))
    words = {key: state.figure_words[key] for key in state.figures if key in state.figure_words}
    facts = Facts(
        intent=intent or ("report" if final else "eligibility"),
        covered=True,
        lead=tuple(lead),
        report=ReportFacts(
            benefits=tuple(benefits), pending=tuple(result.pending), totals=totals_of(benefits),
            alternatives=not final and alternatives(catalogue, triggers), final=final, missing=missing,
            skipped=skipped, figure_words=words,
        ),
        notes=tuple(notes),
        art30=True,
        validity=final,
        departments=tuple(result.departments),
        citations=tuple(cited),
        question=tuple(question),
        asks=tuple(all_asks),
        options=tuple(options),
    )
    return Decision(facts, (AskFigure(missing[0] if missing else None), OfferForm(offer)))
