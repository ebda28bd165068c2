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


def citation(knowledge, article: int, clause: str, quote: str) -> Citation:
    return Citation(article=article, clause=clause, title=knowledge.policy.article(article).title, quote=quote)


def first_clause_citation(knowledge, article: int) -> Citation:
    clause = knowledge.policy.article(article).clauses[0]
    return citation(knowledge, article, clause.id, clause.text)


def profile_of(state: SessionState, triggers, *, final: bool, summed: bool = False, one_item: bool = False) -> Profile:
    """The session's facts as the calculators' Profile: how many of each thing (trigger_counts),
    figures of one recognition (trigger_figures), the total asked (一共能拿多少), a single item said
    (促成了一个项目)."""
    return Profile(org_type=state.org_type if final else None, triggers=tuple(triggers), figures=dict(state.figures),
                   trigger_figures={t: dict(fs) for t, fs in state.trigger_figures.items() if t in triggers and fs},
                   counts=dict(state.trigger_counts), summed=summed, one_item=one_item)


def evaluate_session(state: SessionState, triggers, catalogue, *, final: bool, summed: bool = False,
                     one_item: bool = False) -> Report:
    return evaluate(profile_of(state, triggers, final=final, summed=summed, one_item=one_item), catalogue)


def _summed(turn, state: SessionState) -> bool:
    """Several items of one per-item rule ("成交额分别是500万、1200万和200万") are each capped, then
    summed into one benefit (BAD_INPUTS 32) — one by one when each is asked ("每个项目能奖多少",
    "这单能奖多少") or one more item is told ("还有一个项目，成交额1500万"): its own amount is shown."""
    text = turn.frame.text
    if lexicon().search("asks_each", text):  # "市里每年各补多少": each, though 每年…补多少 reads as a total
        return False
    if lexicon().search("asks_total", text):
        return True
    before = turn.state.figures
    one_more = not turn.frame.has("correction") and any(
        key in before and len(values) == 1 and isinstance(state.figures.get(key), tuple) and len(state.figures[key]) > 1
        for key, values in turn.frame.figures.values.items())
    return not one_more


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


def _not_for_org(state: SessionState, triggers, catalogue, final: bool):
    """The final report leaves out what the organisation type cannot receive: said, never dropped silently."""
    org = state.org_type
    if not final or org is None:
        return ()
    closed = [catalogue.triggers[t] for t in triggers if org not in catalogue.triggers[t].recipients]
    return tuple(say("not_for_org", what=t.label, org=catalogue.org_types[org],
                     who="、".join(catalogue.org_types[r] for r in t.recipients)) for t in closed)


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
    text = turn.frame.text
    result = evaluate_session(state, triggers, catalogue, final=final, summed=_summed(turn, state),
                              one_item=bool(lexicon().search("one_item", text)))
    result, unmet = _without_denied_conditions(result, turn.frame.denied_conditions, catalogue)
    notes = (*notes, *(say("condition_unmet", item=catalogue.entry(eid).item, condition=cond) for eid, cond in unmet))
    notes = (*notes, *_not_for_org(state, triggers, catalogue, final))
    benefits = list(result.benefits)
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
    if primary is not None:  # its item still waiting for a figure (奖金是多少) is cited first all the same
        pairs.sort(key=lambda p: p[0] != primary)
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
