"""One-shot eligibility: the recognitions a message names, their figures, the report."""

from __future__ import annotations

from bot.dialogue.facts import Ask, OptionRef, PolicyAnswer, say
from bot.dialogue.handlers import form
from bot.dialogue.handlers.answers import (
    NOT_COVERED_RELATED,
    policy_answer,
)
from bot.dialogue.handlers.scope import articles_named, asks_support, out_of_scope, place_gives_an_input
from bot.dialogue.nlu import moves
from bot.dialogue.nlu.figures import OTHER_ROLE
from bot.dialogue.nlu.moves import CJK
from bot.dialogue.report import citation, report
from bot.dialogue.state import (
    AddTriggers,
    AskFigure,
    BindFigures,
    LevelQuestion,
    PendingConfirm,
    Reset,
    SetConfirm,
    SetCounts,
    SetLevelQuestion,
    SetSupposed,
    SetTopic,
    Topic,
    apply,
)
from bot.dialogue.turn import Decision, Turn
from calculators.format import format_yuan

# --- eligibility -----------------------------------------------------------------------------------


def _states_facts(turn: Turn) -> bool:
    f = turn.frame
    return bool(f.figures.values or f.figures.approximate or f.figures.invalid or f.has("claim"))


def names_recognitions(turn: Turn) -> bool:
    return bool(turn.frame.named)


# A named thing's article leads a money question over the search's top article when its keyword
# score is at least this share of the top's: the two read the message about equally well, and
# the recognition named is the firmer signal.
NAMED_NEAR_TOP = 0.8
APPLY_WINDOW = 12  # "想申报市里的科技重大专项": the thing stands this close after the wish
SEVERAL_NOUN_GAP = 1  # "这些国家标准": a several-word this close before a recognition's words qualifies it


def _close_to_top(turn: Turn, articles: list[int]) -> bool:
    hits = turn.frame.search.articles
    if not hits or not articles:
        return False
    score = next((h.score for h in hits if h.article == articles[0]), 0.0)
    return hits[0].score > 0 and score >= NAMED_NEAR_TOP * hits[0].score


def _applied_for(turn: Turn) -> int | None:
    """The article of the thing the message says the asker wants to apply for (想申报/打算申请 …),
    when it names other things besides: the rest is background; or, asked how much, the one thing
    named ("他想申请市里专门给年轻科研人员的项目经费，这个最多能给多少") against the search's top."""
    f = turn.frame
    if len(set(articles_named(turn))) < 2 and not moves.is_move("money_asked", f.text):
        return None
    for m in moves.finditer("wants_to_apply", f.text):
        after = [(start, t) for t in f.detected.triggers for start, _end in f.detected.spans.get(t, [])
                 if m.end() <= start <= m.end() + APPLY_WINDOW]
        if after:
            thing = min(after)[1]
            return turn.catalogue.entries_for_trigger(thing)[0].article
    return None


def _question_parts(f) -> list[str]:
    return [f.text[s:e] for s, e in f.question_spans]


def _asks_several(f) -> bool:
    """A long message's question asks about several things or compares (这两个, 分别, 哪些, 一样);
    "这些标准" right before the recognition it names asks about that one thing."""
    named = [span for spans in f.detected.spans.values() for span in spans]

    def qualifies_a_recognition(at: int, end: int) -> bool:
        return any(start <= at < stop or end <= start <= end + SEVERAL_NOUN_GAP for start, stop in named)

    return any(not qualifies_a_recognition(s + m.start(), s + m.end())
               for s, e in f.question_spans for m in moves.finditer("asks_several", f.text[s:e]))


def _named_in_the_question(f) -> list[str]:
    """The recognitions a long message names where it asks; none for a short one."""
    return [t for t in f.detected.triggers if f.in_the_question(t)]


def _background_only(f) -> bool:
    """A long message whose recognitions are all amounts' words said outside its question ("每年研发投入
    大概2亿…。…科研攻关，单个项目最多能给多少？"); a recognition named as such (通过了高企认定), which the
    question may then call 这个, is not."""
    return f.long and set(f.detected.triggers) <= f.said_as_amounts and not _named_in_the_question(f)


def _period_asked(text: str) -> str | None:
    return "one_time" if moves.is_move("asks_one_time", text) else None


def eligibility_primary(turn: Turn) -> int | None | str:
    """Which article leads an eligibility answer, or "policy" / "out" when the message names a
    covered thing but asks about something else."""
    f = turn.frame
    articles = articles_named(turn)
    top = f.top_article
    states_facts = _states_facts(turn)
    if (applied := _applied_for(turn)) is not None:
        return applied  # "研发投入1.1亿…想申报市里的科技重大专项，一个项目最多能支持多少": what they apply for
    named_asked = [] if _asks_several(f) else _named_in_the_question(f)
    if named_asked and top not in {e.article for t in named_asked for e in turn.catalogue.entries_for_trigger(t)}:
        # "…。请问对这种顶尖人才，市里在实验室、中试平台建设上能给多大支持？": the thing the question names
        return turn.catalogue.entries_for_trigger(named_asked[0])[0].article
    if len(set(articles)) > 1 and (period := _period_asked(f.text)):
        timed = [a for a in articles if any(e.period == period for e in turn.catalogue.entries_for_article(a)
                                             for t in f.detected.triggers if e in turn.catalogue.entries_for_trigger(t))]
        if timed and timed[0] != articles[0]:
            return timed[0]  # "…研发投入2.3亿…刚被评为自治区科技领军企业，市里一次性奖多少": the one-time item
    if top in articles:
        return articles[0] if states_facts else top  # a statement of several facts leads with the first
    superseded = {e.article for t in f.detected.superseded for e in turn.catalogue.entries_for_trigger(t)}
    if top in superseded:  # the search read the buyer's article; the message is the broker's
        return articles[0]
    # English retrieval is the weaker signal: an English money question or follow-up naming a
    # recognition ("What about an autonomous-region key laboratory?") is answered by that recognition.
    english_money = not CJK.search(f.text) and (f.has("money") or f.has("follow_up"))
    if top is not None and top not in articles and not moves.is_move("money_asked", f.text) and moves.is_move(
            "asks_how_managed", f.text):
        return "policy"  # "市属的新型研发机构，经费到底是怎么管的": Art. 23's rule, not Art. 17's money
    if top is not None and top not in articles and f.asked_article == top and not any(
            f.in_the_question(seen) for seen in f.detected.spans):
        # "…前年就拿到了高企证书，厂里也有自治区认定的企业技术中心。…企业参与编写这类技术规范，市里有没有
        # 奖励？": the recognitions are background; the question names a topic of its own (not a told
        # thing's input: "…新型研发机构…。市里按研发投入能给多少？")
        return "policy"
    if top is not None and top not in articles and f.long and not _named_in_the_question(f) and not any(
            moves.is_move("money_asked", part) or asks_support(part) for part in _question_parts(f)):
        return "policy"  # "…愿意出300万买断…。能不能把专利的所有权直接给我们团队？": a rights question after the facts
    if top is not None and top not in articles and _background_only(f):
        return "policy"  # "…每年研发投入大概2亿…。…科研攻关，单个项目最多能给多少？": background, not the question
    if top is not None and (moves.is_move("money_asked", f.text) or moves.is_move("asks_which_policy", f.text)) \
            and _close_to_top(turn, articles):
        # "技术转移机构按成交额拿奖补，一年有没有封顶", "…听说有政策专门管这种的": the named thing, nearly the top
        return articles[0]
    if top is not None and not states_facts and not english_money:
        return "policy"  # "新型研发机构负面清单管理" is Art. 23, not Art. 17's money
    if top is None and not states_facts and not moves.is_move("asks_city_support", f.text) \
            and not place_gives_an_input(turn):
        return "out"  # it names a covered thing but asks about another programme ("高企的税收优惠")
    return articles[0]


def eligibility_or_answer(turn: Turn) -> Decision:
    lead = eligibility_primary(turn)
    if lead == "policy":
        return policy_answer(turn)
    if lead == "out":
        return out_of_scope(turn, related=sorted(set(articles_named(turn)))[:NOT_COVERED_RELATED])
    return eligibility(turn, primary=lead)


def figure_bindings(turn: Turn) -> tuple[tuple[str, str, int], ...]:
    """Several recognitions needing one figure, each followed by its own amount ("国家首台套，单价
    200万元；另一款自治区首批次新材料，货值300万元"): each amount belongs to the recognition before it."""
    f, catalogue = turn.frame, turn.catalogue
    out = []
    for key, values in f.figures.values.items():
        if catalogue.figures[key].multiple or key not in f.figures.itemised:
            continue
        needing = sorted((t for t in f.detected.triggers if key in catalogue.figures_for([t])),
                         key=lambda t: min(s for s, _ in f.detected.spans[t]))
        mentions = [fm.mention for fm in f.figures.mentions if fm.role == key and fm.value is not None
                    and not fm.deducted and not fm.told_ref and fm.mention.error is None]
        if len(needing) < 2 or len(needing) != len(values) or len(mentions) != len(values):
            continue
        starts = [min(s for s, _ in f.detected.spans[t]) for t in needing] + [len(f.text) + 1]
        if all(starts[i] < m.start < starts[i + 1] for i, m in enumerate(mentions)):
            out += [(t, key, m.value_yuan) for t, m in zip(needing, mentions, strict=True)]
    return tuple(out)


def _said_unknown(turn: Turn) -> set[str]:
    """The figures of the named things the message says the asker does not know ("奖金额度我记不清了"):
    a cue of the figure and words of not knowing in one clause, no amount for it."""
    f, catalogue = turn.frame, turn.catalogue
    out = set()
    for m in moves.finditer("unknown_said", f.text):
        clause = moves.clause_around(f.text, m.start(), m.end())
        out |= {k for k in catalogue.figures_for(f.named) if k not in f.figures.values
                and any(cue in clause for cue in catalogue.figures[k].cues)}
    return out


def _keeps_told_figures(turn: Turn) -> tuple[tuple[str, str, int], ...]:
    """A new recognition told with its own amount of a figure an earlier one has ("另外还有一批新材料，拿了
    自治区首批次认定，货值120万" after the software's 单价80万): each keeps its own amount."""
    f, state, catalogue = turn.frame, turn.state, turn.catalogue
    if f.has("correction"):
        return ()
    out = []
    for key, values in f.figures.values.items():
        old = state.figures.get(key)
        if catalogue.figures[key].multiple or len(values) != 1 or old is None or isinstance(old, tuple) or old == values[0]:
            continue
        new = [t for t in f.detected.triggers if t not in state.triggers and key in catalogue.figures_for([t])]
        told = [t for t in state.triggers if key in catalogue.figures_for([t]) and t not in f.detected.triggers
                and key not in state.trigger_figures.get(t, {})]
        if new and told:
            out += [(t, key, old) for t in told] + [(t, key, values[0]) for t in new]
    return tuple(out)


def eligibility(turn: Turn, primary: int | None) -> Decision:
    f, state, catalogue = turn.frame, turn.state, turn.catalogue
    reading = f.figures
    triggers = list(f.detected.triggers)
    # "另外帮我们子公司问下…": another organisation, a profile of its own (nothing of the first one's
    # recognitions or figures goes into its amounts)
    switched = bool(state.triggers) and moves.is_move("other_org", f.text)
    events = [*([Reset()] if switched else []), AddTriggers(tuple(triggers)), *form.figure_events(turn)]
    if state.triggers and not switched and moves.is_move("supposes", f.text):
        # "要是明年评上高企呢" after the facts: answered and kept, but marked as supposed
        if new := tuple(t for t in triggers if t not in state.triggers):
            events.append(SetSupposed(new))
    if f.detected.counts:  # "两个自治区重点实验室": each one paid
        events.append(SetCounts(tuple(f.detected.counts.items())))
    if bindings := figure_bindings(turn) + _keeps_told_figures(turn):
        events.append(BindFigures(bindings))
    notes, asks, options, question = [], [], [], []
    wanted = [k for k in catalogue.figures_for(f.named) if k not in reading.values]
    for fm in reading.invalid:  # "研发投入-300万": the figure is asked again, never computed
        notes.append(form.amount_problem(fm.mention.error))
    if reading.approximate:
        fm = reading.approximate[0]
        pending = PendingConfirm(figure=fm.role, value=fm.value, reason="approximate", raw=fm.mention.raw)
        events.append(SetConfirm(pending))
        question = [say("approximate", raw=fm.mention.raw, amount=format_yuan(fm.value))]
        asks = [Ask(figure=fm.role)]
        options = [OptionRef(id="confirm", args={"amount": format_yuan(fm.value)}), OptionRef(id=form.SKIP)]
    elif len(wanted) == 1 and len([fm for fm in reading.unassigned if fm.value]) == 1:
        # an amount without its figure's words: asked about, never put into the formula
        fm = next(fm for fm in reading.unassigned if fm.value)
        label = catalogue.figures[wanted[0]].label
        events.append(SetConfirm(PendingConfirm(figure=wanted[0], value=fm.value, reason="unlabelled",
                                                raw=fm.mention.raw)))
        question = [say("unlabelled_amount", amount=format_yuan(fm.value), label=label)]
        asks = [Ask(figure=wanted[0])]
        options = [OptionRef(id="confirm", args={"amount": format_yuan(fm.value)}), OptionRef(id="deny")]
    for key, ruled_out in reading.excluded.items():  # "成交额900万，在榆林落地转化": not counted, said so
        notes.append(say("amount_excluded", amounts=[format_yuan(fm.value) for fm in ruled_out if fm.value],
                         label=catalogue.figures[key].label))
    others = [fm for fm in reading.other if fm.value]
    if others and catalogue.figures_for(f.named):
        notes.append(say("other_amount_ignored", amounts=[format_yuan(fm.value) for fm in others],
                         roles=[f.text[fm.cue[0]:fm.cue[1]] for fm in others if fm.cue]))
    notes += form.deduction_notes(reading, catalogue)
    shown = list(triggers)
    asked = _named_in_the_question(f)
    if not asked and f.long:  # "…去年科研投入2800万…新成立了一个院士专家工作站…": an amount's words are no recognition
        asked = [t for t in triggers if t not in f.said_as_amounts]
    if asked and len(asked) < len(triggers) and not f.has("total") and not _asks_several(f):
        # "…前年就已经是国家高新技术企业了。今年我们主导起草的一项标准…，市里奖多少？": the background's
        # recognitions are told facts (kept for a later total), the answer is about what is asked
        shown = asked
    if switched:
        notes.insert(0, say("other_org"))
    elif f.has("total") or f.has("adding") and not f.long:  # "我们同时也是国家高新技术企业，加起来一共多少"
        shown = list(dict.fromkeys([*state.triggers, *triggers]))
    if f.detected.ambiguous and not question:
        obj, family = next(iter(f.detected.ambiguous.items()))
        shown.extend(t for fam in f.detected.ambiguous.values() for t in fam if t not in shown)
        events.append(SetLevelQuestion(LevelQuestion(object=obj, triggers=tuple(family))))
        question = [say("ask_level", object=obj)]
        asks = [Ask(prompt=question[0])]
        options = [OptionRef(id=f"trigger:{x}") for x in family]
    after = apply(state, events)
    if unknown := _said_unknown(turn):  # "国家那边的奖金额度我记不清了": not the amount told before
        after = after.model_copy(update={"figures": {k: v for k, v in after.figures.items() if k not in unknown}})
    # "研发投入大概两三百万吧": a range of a figure is asked again as one amount, and the next bare
    # amount answers it, whether or not an item shown computes with it (a cap-only one keeps its cap)
    bad = next((fm.role for fm in reading.invalid if fm.role not in (None, OTHER_ROLE)), None)
    if bad and not asks:
        asks = [Ask(figure=bad)]
    decision = report(turn, after, shown, notes=notes, asks=asks, options=options, question=question,
                      primary=primary)
    facts = _with_rule_clause(turn, decision.facts, primary)
    asked = (AskFigure(bad),) if bad and asks == [Ask(figure=bad)] else ()
    return Decision(facts, (*events, *decision.events, *asked,
                            SetTopic(Topic(article=primary, triggers=tuple(shown)))))


def _with_rule_clause(turn: Turn, facts, primary: int | None):
    """"市属国有企业研发投入这块有啥特殊政策": not a how-much question, and the clause it matches best in
    the answering article sets a rule, no amount (16.2 视同利润加回): that clause is quoted before the money."""
    f, catalogue = turn.frame, turn.catalogue
    if primary is None or f.kinds & {"how_much", "asks_amount", "total"}:
        return facts
    hit = next((h for h in f.search.articles if h.article == primary and h.clauses), None)
    if hit is None:
        return facts
    best = hit.clauses[0].clause_id
    if catalogue.entries_for_clause(best) or any(c.clause == best for c in facts.citations):
        return facts
    quoted = citation(turn.knowledge, primary, best, turn.policy.clause(best).text)
    return facts.model_copy(update={"answer": PolicyAnswer(article=primary, clauses=(best,)),
                                    "citations": (*facts.citations, quoted)})


