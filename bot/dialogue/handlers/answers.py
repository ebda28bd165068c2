"""Free questions: one-shot eligibility, follow-ups on what was told, policy answers from the
text, and replies for what the policy does not cover."""

from __future__ import annotations

from bot.dialogue.facts import Ask, Facts, NotCovered, OptionRef, PolicyAnswer, say
from bot.dialogue.fill import set_figure
from bot.dialogue.handlers import form
from bot.dialogue.handlers.corrections import read_correction
from bot.dialogue.nlu import moves
from bot.dialogue.nlu.figures import OTHER_ROLE, read_figure
from bot.dialogue.nlu.moves import CJK
from bot.dialogue.nlu.recognitions import only_figure_words
from bot.dialogue.report import citation, first_clause_citation, report
from bot.dialogue.state import (
    AddTriggers,
    AskFigure,
    BindFigures,
    LevelQuestion,
    PendingConfirm,
    SetConfirm,
    SetLevelQuestion,
    SetTopic,
    Topic,
    apply,
)
from bot.dialogue.turn import Decision, Turn
from calculators.format import format_yuan
from calculators.money import AmountError, ApproximateAmount

# Articles scoring at least this share of the first one are named as related.
RELATED_SHARE = 0.85
ANSWER_CLAUSES = 2  # clauses quoted for a policy answer
RULES_ARTICLE = 30  # 施行、有效期、就高从优不重复、废止
RULE_KINDS = ("ask.overlap", "ask.old_policy", "ask.validity")
NOT_COVERED_RELATED = 2  # articles named as related in a not-covered reply
# A follow-up is short: it names the change and leans on the last answer for the rest.
FOLLOW_UP_MAX = 12
FOLLOW_UP_SHARED = 3  # characters a follow-up shares with the topic's item names ("运行补贴")


def _final(state) -> bool:
    return state.org_type is not None


# --- corrections and figures for the facts already told -------------------------------------------

def is_free_correction(turn: Turn) -> bool:
    state = turn.state
    return (turn.frame.has("correction") and bool(state.figures or state.org_type or state.triggers)
            and read_correction(turn).changed)


def free_correction(turn: Turn) -> Decision:
    found = read_correction(turn)
    after = apply(turn.state, found.events)
    decision = report(turn, after, list(after.triggers), lead=[say("recomputed")], final=_final(after))
    topic = turn.state.topic
    if found.swapped and topic is not None:  # the topic is now the corrected level's
        swapped = {old.old: old.new for old in found.events if hasattr(old, "old")}
        topic = Topic(article=topic.article, triggers=tuple(swapped.get(t, t) for t in topic.triggers))
    return Decision(decision.facts, (*found.events, *decision.events, SetTopic(topic)))


def _asked_reading(turn: Turn):
    """The message read as the answer to the figure the last reply asked for: (value, error)."""
    key = turn.state.asked_figure
    reading = turn.frame.figures
    if key in reading.values:  # read with its own words: items, "其中…关联单位" deducted
        values = reading.values[key]
        itemised = turn.catalogue.figures[key].multiple or key in reading.itemised
        return (values if itemised else values[-1]), None
    try:
        return read_figure(turn.frame.text, turn.catalogue.figures[key]), None
    except AmountError as err:
        return None, err


def answers_asked_figure(turn: Turn) -> bool:
    """The reply after "如需精确金额，请告诉我：…": an amount (or a bad one) for that figure, in a
    message that names nothing else."""
    f, state = turn.frame, turn.state
    if not state.asked_figure or not only_figure_words(f.detected, f.text, turn.catalogue, [state.asked_figure]):
        return False
    if any(fm.role not in (None, state.asked_figure) for fm in f.figures.mentions):
        return False
    value, err = _asked_reading(turn)
    if value is not None:
        return any(state.asked_figure in turn.catalogue.figures_for([x]) for x in state.triggers)
    # a bad amount is asked again, not taken for a new question ("约200万", "-300万", "200-300万",
    # "0"); with the figure's own words ("单价0元") whatever else the message names
    cued = any(fm.role == state.asked_figure for fm in f.figures.mentions)
    return err.kind != "no_amount" and (cued or not f.names_a_topic)


def asked_figure(turn: Turn) -> Decision:
    key = turn.state.asked_figure
    value, err = _asked_reading(turn)
    if isinstance(err, ApproximateAmount):
        return form.confirm_approximate(turn, key, err.candidate_yuan, err.raw)
    if err is not None:
        ask = Ask(figure=key)
        facts = Facts(intent="eligibility", covered=True, lead=(form.amount_problem(err),)).with_question(
            [ask], [ask], [OptionRef(id=form.SKIP)])
        return Decision(facts, (AskFigure(key),))
    from bot.dialogue.handlers.pending import after_figure

    reading = turn.frame.figures
    event = set_figure(turn.catalogue, key, value, reading.words.get(key, turn.frame.text), reading.deductions.get(key))
    return after_figure(turn, [event], [])


def _told_figures(turn: Turn) -> dict[str, tuple[int, ...]]:
    """Figures of the facts already told that this message gives: with their own cue words, or
    without when the conversation waits for exactly that figure and the message has no topic."""
    f, state, catalogue = turn.frame, turn.state, turn.catalogue
    wanted = catalogue.figures_for(state.triggers)
    reading = f.figures
    if any(fm.role == OTHER_ROLE for fm in reading.mentions):
        return {}
    cued = {k: v for k, v in reading.values.items() if k in wanted}
    if cued and len(cued) == len(reading.values):
        return cued
    loose = [fm.value for fm in reading.unassigned if fm.value is not None]
    if reading.values or not loose:
        return {}
    missing = [k for k in wanted if k not in state.figures]
    waiting = {k for k in (state.asked_figure, state.last_filled) if k}
    if len(missing) == 1:
        waiting.add(missing[0])
    waiting &= set(wanted)
    if len(waiting) == 1 and not f.names_a_topic:
        return {waiting.pop(): tuple(loose)}
    return {}


def gives_told_figure(turn: Turn) -> bool:
    return not turn.frame.named and bool(turn.state.triggers) and bool(_told_figures(turn))


def told_figure(turn: Turn) -> Decision:
    catalogue, reading = turn.catalogue, turn.frame.figures
    events = []
    for key, values in _told_figures(turn).items():
        value = values if catalogue.figures[key].multiple or key in reading.itemised else values[-1]
        old = turn.state.figures.get(key)
        if catalogue.figures[key].multiple and old is not None and moves.is_move("adds_item", turn.frame.text):
            value = (*(old if isinstance(old, tuple) else (old,)), *values)  # "还漏了一笔，成交额1500万"
        events.append(set_figure(catalogue, key, value, reading.words.get(key, turn.frame.text),
                                 reading.deductions.get(key)))
    after = apply(turn.state, events)
    decision = report(turn, after, list(after.triggers), final=_final(after))
    return Decision(decision.facts, (*events, *decision.events))


def asks_total(turn: Turn) -> bool:
    """"那我们总共能拿多少": the facts told so far, together (a bare how-much naming no topic)."""
    f = turn.frame
    if f.named or not turn.state.triggers or f.search.reason is not None:
        return False
    return f.has("total") or ("asks_amount" in f.kinds and not f.names_a_topic)


def total(turn: Turn) -> Decision:
    state = turn.state
    decision = report(turn, state, list(state.triggers), final=_final(state))
    return decision


# --- follow-ups that name only what changes --------------------------------------------------------

def _level_siblings(turn: Turn) -> list[tuple[str, str]]:
    """(told trigger, its sibling at the level the message names)."""
    f, catalogue = turn.frame, turn.catalogue
    topic = turn.state.topic
    told = list(topic.triggers) if topic and topic.triggers else list(turn.state.triggers)
    level = f.corrected_level or f.level
    pairs = []
    for tid in told:
        trigger = catalogue.triggers[tid]
        sibling = next((x for x, t in catalogue.triggers.items() if t.object == trigger.object and t.level == level), None)
        if sibling and sibling != tid:
            pairs.append((tid, sibling))
    return pairs


def is_level_follow_up(turn: Turn) -> bool:
    """"换成自治区级呢", "那区级的呢", "What about the regional level?": only a level is named."""
    f = turn.frame
    return (not f.named and (f.level or f.corrected_level) is not None
            and (f.has("follow_up") or len(f.text) <= FOLLOW_UP_MAX) and bool(_level_siblings(turn)))


def level_follow_up(turn: Turn) -> Decision:
    """The same question at the other level: a what-if, so the told facts stay as they were."""
    siblings = [s for _, s in _level_siblings(turn)]
    primary = turn.catalogue.entries_for_trigger(siblings[0])[0].article
    decision = report(turn, turn.state, siblings, primary=primary)
    return Decision(decision.facts, (*decision.events, SetTopic(Topic(article=primary, triggers=tuple(siblings)))))


def _shares_words(text: str, items) -> bool:
    """Whether the message repeats three or more characters of one of these item names."""
    return any(text[i:i + FOLLOW_UP_SHARED] in item for item in items for i in range(len(text) - FOLLOW_UP_SHARED + 1))


def is_topic_follow_up(turn: Turn) -> bool:
    """"这个要找哪个部门申报", "那每年的运行补贴呢", "那什么条件": a question that names nothing of
    its own and leans on what the last answer was about."""
    f, topic = turn.frame, turn.state.topic
    if topic is None or f.named or f.article_ref is not None or not f.is_question():
        return False
    if f.search.reason is not None:
        return False
    if moves.is_move("refers_back", f.text):  # "这个要找哪个部门申报": the pronoun points back
        return True
    marked = f.has("follow_up")
    if not f.names_a_topic:
        return marked or len(f.text) <= FOLLOW_UP_MAX
    # it names words of its own: only a follow-up when they are the topic's own items' words
    items = [e.item for t in topic.triggers for e in turn.catalogue.entries_for_trigger(t)]
    if topic.article:
        items += [e.item for e in turn.catalogue.entries_for_article(topic.article)]
    return marked and f.top_article != topic.article and _shares_words(f.text, items) or (
        marked and f.top_article == topic.article)


def topic_follow_up(turn: Turn) -> Decision:
    topic = turn.state.topic
    if topic.triggers:
        decision = report(turn, turn.state, list(topic.triggers), primary=topic.article)
        return Decision(decision.facts, (*decision.events, SetTopic(topic)))
    return article_answer(turn, topic.article)


def article_answer(turn: Turn, number: int) -> Decision:
    """An answer from one article chosen by the conversation, not by the search."""
    article = turn.policy.article(number)
    clause_ids = tuple(c.id for c in article.clauses[:ANSWER_CLAUSES])
    items = turn.catalogue.entries_for_article(number)
    facts = Facts(intent="policy", covered=True,
                  answer=PolicyAnswer(article=number, clauses=clause_ids, money_entries=tuple(e.id for e in items),
                                      no_money=not items),
                  art30=number == RULES_ARTICLE, validity=number == RULES_ARTICLE,
                  departments=tuple(article.departments),
                  citations=tuple(citation(turn.knowledge, number, cid, turn.policy.clause(cid).text)
                                  for cid in clause_ids))
    return Decision(facts, (SetTopic(Topic(article=number)),))


def asks_the_rules(turn: Turn) -> bool:
    """When the policy applies and whether benefits add up are Art. 30's rules ("已经按别的政策拿过
    了，还能再拿吗", "那什么时候到期", "2021年那个政策还能用吗"), not a money article's amount."""
    f = turn.frame
    if f.search.reason is not None or f.article_lookup is not None:
        return False
    if "ask.overlap" in f.kinds or "ask.old_policy" in f.kinds:
        return True
    # a date question about this policy itself: no recognition, no other programme's topic
    return "ask.validity" in f.kinds and not f.named and (not f.names_a_topic or f.top_article == RULES_ARTICLE)


def the_rules(turn: Turn) -> Decision:
    f = turn.frame
    article = turn.policy.article(RULES_ARTICLE)
    # the clauses that state the rule asked about: the question's own class found in the clause
    # (就高 in 30.6 for an overlap question, 有效期 in 30.1 for a date, 废止 in 30.8 for the old policy)
    kinds = [k for k in RULE_KINDS if k in f.kinds]
    clause_ids = tuple(c.id for c in article.clauses if any(moves.is_move(k, c.text) for k in kinds))
    clause_ids = clause_ids[:ANSWER_CLAUSES] or (article.clauses[0].id,)
    related = tuple(dict.fromkeys(e.article for x in f.named for e in turn.catalogue.entries_for_trigger(x)))
    citations = [citation(turn.knowledge, RULES_ARTICLE, cid, turn.policy.clause(cid).text) for cid in clause_ids]
    citations += [first_clause_citation(turn.knowledge, n) for n in related[:NOT_COVERED_RELATED]]
    facts = Facts(intent="policy", covered=True,
                  answer=PolicyAnswer(article=RULES_ARTICLE, clauses=clause_ids, related=related[:NOT_COVERED_RELATED]),
                  art30=True, validity=True, departments=tuple(article.departments), citations=tuple(citations))
    return Decision(facts, (SetTopic(Topic(article=RULES_ARTICLE)),))


# --- not covered -----------------------------------------------------------------------------------

def not_covered_by_rule(turn: Turn) -> bool:
    """Asks for a benefit the policy never gives, or about another city's programme."""
    return turn.frame.search.reason is not None


def not_covered(turn: Turn) -> Decision:
    f = turn.frame
    named = [e.article for x in f.named for e in turn.catalogue.entries_for_trigger(x)]
    related = sorted(set(named))[:NOT_COVERED_RELATED] or [h.article for h in f.search.articles[:1] if h.score > 0]
    return out_of_scope(turn, related=related, place=f.search.place)


def out_of_scope(turn: Turn, related=(), place=None) -> Decision:
    related = tuple(related)
    facts = Facts(intent="out_of_scope", covered=False, not_covered=NotCovered(place=place, related=related),
                  citations=tuple(first_clause_citation(turn.knowledge, n) for n in related))
    return Decision(facts)


def asks_another_bodys_matter(turn: Turn) -> bool:
    """"高企认定要满足哪些条件", "国家科学技术奖怎么提名", "申报指南几月份发", "技术合同登记去哪儿办":
    a recognition's criteria, a procedure, a deadline, a fee or an office of another body. This
    policy pays after such a recognition and sets none of these; without a word asking for this
    policy's support the question is not covered (the related article is named). Questions on
    this policy's own measures (the rights and procedures of Art. 22, 23, 29: articles with no
    money item) stay answered."""
    f = turn.frame
    if not f.is_question() or moves.is_move("asks_support", f.text):
        return False
    top = f.top_article
    candidates = set(_articles_named(turn)) | ({top} if top else set())
    texts = [turn.policy.article(n).text for n in candidates]
    # a matter the answering article itself speaks of (技术经纪人 评职称 in Art. 27) is this policy's
    def unanswered(name: str) -> bool:
        return any(not any(m.group(0) in text for text in texts) for m in moves.finditer(name, f.text))

    if _asks_an_input_value(turn):  # "自治区科学技术进步奖一等奖的奖金是多少钱"
        return True
    if f.named:  # a recognition named: its criteria, procedure, dates are another body's
        return unanswered("ask.other_matter")
    # nothing of the policy named: only the matters no article sets (fees, land, titles, permits…)
    # and, asked of a money article, the errand itself (where to go, which papers)
    if top is None:
        return False
    return unanswered("ask.foreign_matter") or (
        bool(turn.catalogue.entries_for_article(top)) and unanswered("ask.procedure_elsewhere"))


def _asks_an_input_value(turn: Turn) -> bool:
    """How much a rule's input is (the prize money, the national allocation, the region's
    post-subsidy): another body's money, which this policy only matches or follows."""
    f = turn.frame
    inputs = turn.catalogue.figures_for(f.named)  # "刚评上高企，奖金多少" asks Art. 15's award, no input
    return any(moves.is_move("asks_input_value", f.text[m.end():])
               for key in inputs for cue in turn.catalogue.figures[key].cue_patterns for m in cue.finditer(f.text))


def another_bodys_matter(turn: Turn) -> Decision:
    f = turn.frame
    named = sorted(set(_articles_named(turn)))[:NOT_COVERED_RELATED]
    return out_of_scope(turn, related=named or [a for a in [f.top_article] if a])


def nothing_found(turn: Turn) -> Decision:
    return out_of_scope(turn)


# --- eligibility -----------------------------------------------------------------------------------

def _articles_named(turn: Turn) -> list[int]:
    return [e.article for x in turn.frame.named for e in turn.catalogue.entries_for_trigger(x)]


def _states_facts(turn: Turn) -> bool:
    f = turn.frame
    return bool(f.figures.values or f.figures.approximate or f.figures.invalid or f.has("claim"))


def names_recognitions(turn: Turn) -> bool:
    return bool(turn.frame.named)


def eligibility_primary(turn: Turn) -> int | None | str:
    """Which article leads an eligibility answer, or "policy" / "out" when the message names a
    covered thing but asks about something else."""
    f = turn.frame
    articles = _articles_named(turn)
    top = f.top_article
    states_facts = _states_facts(turn)
    if top in articles:
        return articles[0] if states_facts else top  # a statement of several facts leads with the first
    # English retrieval is the weaker signal: an English money question naming a recognition is
    # answered by that recognition.
    english_money = not CJK.search(f.text) and f.has("money")
    if top is not None and not states_facts and not english_money:
        return "policy"  # "新型研发机构负面清单管理" is Art. 23, not Art. 17's money
    if top is None and not states_facts and not moves.is_move("asks_city_support", f.text):
        return "out"  # it names a covered thing but asks about another programme ("高企的税收优惠")
    return articles[0]


def eligibility_or_answer(turn: Turn) -> Decision:
    lead = eligibility_primary(turn)
    if lead == "policy":
        return policy_answer(turn)
    if lead == "out":
        return out_of_scope(turn, related=sorted(set(_articles_named(turn)))[:NOT_COVERED_RELATED])
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
                    and not fm.deducted and fm.mention.error is None]
        if len(needing) < 2 or len(needing) != len(values) or len(mentions) != len(values):
            continue
        starts = [min(s for s, _ in f.detected.spans[t]) for t in needing] + [len(f.text) + 1]
        if all(starts[i] < m.start < starts[i + 1] for i, m in enumerate(mentions)):
            out += [(t, key, m.value_yuan) for t, m in zip(needing, mentions, strict=True)]
    return tuple(out)


def eligibility(turn: Turn, primary: int | None) -> Decision:
    f, state, catalogue = turn.frame, turn.state, turn.catalogue
    reading = f.figures
    triggers = list(f.detected.triggers)
    events = [AddTriggers(tuple(triggers)), *form.figure_events(turn)]
    if bindings := figure_bindings(turn):
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
    others = [fm for fm in reading.other if fm.value]
    if others and catalogue.figures_for(f.named):
        notes.append(say("other_amount_ignored", amounts=[format_yuan(fm.value) for fm in others],
                         roles=[f.text[fm.cue[0]:fm.cue[1]] for fm in others if fm.cue]))
    for key, (_total, parts) in reading.deductions.items():
        notes.append(say("deduction", parts=[format_yuan(v) for v in parts], label=catalogue.figures[key].label,
                         value=form.show(reading.values[key])))
    shown = list(triggers)
    if f.has("total") or f.has("adding"):  # "我们同时也是国家高新技术企业，加起来一共多少"
        shown = list(dict.fromkeys([*state.triggers, *triggers]))
    if f.detected.ambiguous and not question:
        obj, family = next(iter(f.detected.ambiguous.items()))
        shown.extend(t for fam in f.detected.ambiguous.values() for t in fam if t not in shown)
        events.append(SetLevelQuestion(LevelQuestion(object=obj, triggers=tuple(family))))
        question = [say("ask_level", object=obj)]
        asks = [Ask(prompt=question[0])]
        options = [OptionRef(id=f"trigger:{x}") for x in family]
    after = apply(state, events)
    decision = report(turn, after, shown, notes=notes, asks=asks, options=options, question=question,
                      primary=primary)
    return Decision(decision.facts, (*events, *decision.events, SetTopic(Topic(article=primary, triggers=tuple(shown)))))


# --- policy answers --------------------------------------------------------------------------------

def in_scope(turn: Turn) -> bool:
    return turn.frame.top_article is not None


def policy_answer(turn: Turn) -> Decision:
    f, policy, catalogue = turn.frame, turn.policy, turn.catalogue
    top = f.search.articles[0]
    article = policy.article(top.article)
    clause_ids = tuple(c.clause_id for c in top.clauses[:ANSWER_CLAUSES]) or (article.clauses[0].id,)
    items = catalogue.entries_for_article(article.number)
    money = bool(items) and f.has("money")
    rules = article.number == RULES_ARTICLE or bool({"ask.validity", "ask.overlap", "ask.old_policy"} & f.kinds)
    related = tuple(h.article for h in f.search.articles[1:3] if h.score >= RELATED_SHARE * top.score and h.clauses)
    citations = [citation(turn.knowledge, article.number, cid, policy.clause(cid).text) for cid in clause_ids]
    citations += [citation(turn.knowledge, h.article, h.clauses[0].clause_id, policy.clause(h.clauses[0].clause_id).text)
                  for h in f.search.articles[1:3] if h.article in related]
    facts = Facts(
        intent="policy", covered=True,
        answer=PolicyAnswer(article=article.number, clauses=clause_ids,
                            money_entries=tuple(e.id for e in items) if money else (),
                            no_money=not items, related=related),
        art30=rules, validity=rules, departments=tuple(article.departments), citations=tuple(citations),
    )
    return Decision(facts, (SetTopic(Topic(article=article.number)),))
