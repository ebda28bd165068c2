"""The facts already told: a correction of one of them, a figure for them given later, the total."""

from __future__ import annotations

from bot.dialogue.facts import Ask, Facts, OptionRef, say
from bot.dialogue.fill import add_items, set_figure
from bot.dialogue.handlers import form
from bot.dialogue.handlers.corrections import read_correction
from bot.dialogue.nlu import moves
from bot.dialogue.nlu.figures import OTHER_ROLE, read_figure
from bot.dialogue.nlu.recognitions import only_figure_words
from bot.dialogue.report import report
from bot.dialogue.state import (
    AddTriggers,
    AskFigure,
    SetTopic,
    Topic,
    apply,
)
from bot.dialogue.turn import Decision, Turn
from calculators.format import format_yuan
from calculators.money import AmountError, ApproximateAmount


def _final(state) -> bool:
    return state.org_type is not None



# --- corrections and figures for the facts already told -------------------------------------------

def is_free_correction(turn: Turn) -> bool:
    state = turn.state
    # "如果不是顶尖的，就是…高层次人才呢" supposes another case: a what-if, not a correction
    return (turn.frame.has("correction") and bool(state.figures or state.org_type or state.triggers)
            and not moves.is_move("supposes", turn.frame.text) and read_correction(turn).changed)


def free_correction(turn: Turn) -> Decision:
    found = read_correction(turn)
    after = apply(turn.state, found.events)
    decision = report(turn, after, list(after.triggers), lead=[say("recomputed")], final=_final(after))
    topic = turn.state.topic
    if found.swapped and topic is not None:  # the topic is now the corrected level's
        swapped = {old.old: old.new for old in found.events if hasattr(old, "old")}
        topic = Topic(article=topic.article, triggers=tuple(swapped.get(t, t) for t in topic.triggers))
    added = [t for e in found.events if isinstance(e, AddTriggers) for t in e.triggers]
    if found.org_type and added:  # "我们其实是集团举办的新型研发机构": the talk is now about that
        topic = Topic(article=turn.catalogue.entries_for_trigger(added[0])[0].article, triggers=tuple(added))
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
    if f.detected.unpaid:
        return False
    if not state.asked_figure or not only_figure_words(f.detected, f.text, turn.catalogue, [state.asked_figure]):
        return False
    if any(fm.role not in (None, state.asked_figure) for fm in f.figures.mentions):
        return False
    value, err = _asked_reading(turn)
    if value is not None:  # asked for an item's input, or again after a range ("两三百万") of any figure
        return True
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
        facts = Facts(intent="eligibility", covered=True, lead=(form.amount_problem(err),),
                      citations=form.figure_citations(turn, key)).with_question([ask], [ask], [OptionRef(id=form.SKIP)])
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
    # "怎么才500万", "500万是每年都有吗", "那50万是上限吗": a question about an amount shown (an item's
    # own sum or cap, or why or how often it is paid), never a new input of that item's formula
    stated = {_stated_amount(e) for t in state.triggers for e in catalogue.entries_for_trigger(t)}
    if f.is_question() and (f.kinds & {"ask.why", "ask.period"} or set(loose) <= stated
                            or moves.is_move("asks_amount_nature", f.text)):
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
    return not turn.frame.names_something and bool(turn.state.triggers) and bool(_told_figures(turn))


def told_figure(turn: Turn) -> Decision:
    catalogue, reading = turn.catalogue, turn.frame.figures
    events = []
    for key, values in _told_figures(turn).items():
        value = values if catalogue.figures[key].multiple or key in reading.itemised else values[-1]
        words = reading.words.get(key, turn.frame.text)
        if turn.state.figures.get(key) is not None and moves.is_move("adds_item", turn.frame.text):
            # "还漏了一笔，成交额1500万", "还有一个项目，国拨500万": one more item
            value, words = add_items(turn.state, key, values, words)
        events.append(set_figure(catalogue, key, value, words, reading.deductions.get(key)))
    after = apply(turn.state, events)
    decision = report(turn, after, list(after.triggers), final=_final(after),
                      notes=form.deduction_notes(reading, catalogue))
    return Decision(decision.facts, (*events, *decision.events))


def _stated_amount(entry) -> int | None:
    rule = entry.rule
    return getattr(rule, "amount_yuan", None) or getattr(rule, "cap_yuan", None) or getattr(rule, "floor_yuan", None)


def _told_items_of_amount(turn: Turn) -> list[str]:
    """The told recognitions whose item states an amount the message names ("工作站那100万")."""
    f, catalogue = turn.frame, turn.catalogue
    said = {fm.value for fm in f.figures.unassigned if fm.value}
    return [t for t in turn.state.triggers
            if any(_stated_amount(e) in said for e in catalogue.entries_for_trigger(t))] if said else []


def asks_about_a_told_amount(turn: Turn) -> bool:
    """"工作站那100万是一次性的吧": an amount of an item shown before, asked about, names that item."""
    f, state, catalogue = turn.frame, turn.state, turn.catalogue
    told_objects = {catalogue.triggers[t].object for t in state.triggers}
    # the told thing named again, or the amount pointed at ("那100万"): not an amount of something new
    pointed = any(moves.is_move("points_at_amount", f.text[max(0, fm.mention.start - 2):fm.mention.start])
                  for fm in f.figures.unassigned)
    return (f.is_question() and not f.figures.values and f.search.reason is None
            and (bool(f.detected.triggers) or pointed)
            and all(catalogue.triggers[t].object in told_objects for t in f.detected.triggers)
            and bool(_told_items_of_amount(turn)))


def told_amount_item(turn: Turn) -> Decision:
    items = _told_items_of_amount(turn)
    article = turn.catalogue.entries_for_trigger(items[0])[0].article
    decision = report(turn, turn.state, items, primary=article)
    return Decision(decision.facts, (*decision.events, SetTopic(Topic(article=article, triggers=tuple(items)))))


def gives_other_figures(turn: Turn) -> bool:
    """"营收是1.5亿、员工300人，这些影响金额不": amounts of a kind no told item computes with, asked
    or told about the facts already told."""
    f, reading = turn.frame, turn.frame.figures
    return (bool(turn.state.triggers) and not f.names_something and f.search.reason is None
            and bool([fm for fm in reading.other if fm.value]) and not reading.values)


def other_figures(turn: Turn) -> Decision:
    """The told facts' report again, saying which amounts it does not use."""
    f, state = turn.frame, turn.state
    others = [fm for fm in f.figures.other if fm.value]
    note = say("other_amount_ignored", amounts=[format_yuan(fm.value) for fm in others],
               roles=[f.text[fm.cue[0]:fm.cue[1]] for fm in others if fm.cue])
    told = list(state.topic.triggers) if state.topic and state.topic.triggers else list(state.triggers)
    return report(turn, state, told, notes=[note], final=_final(state))


def asks_total(turn: Turn) -> bool:
    """"那我们总共能拿多少": the facts told so far, together (a bare how-much naming no topic)."""
    f = turn.frame
    if f.names_something or not turn.state.triggers or f.search.reason is not None:
        return False
    return f.has("total") or ("asks_amount" in f.kinds and not f.names_a_topic)


def total(turn: Turn) -> Decision:
    """The facts told so far, added up; "按我们现在实际的情况" leaves out what was only supposed."""
    state = turn.state
    triggers = list(state.triggers)
    notes = []
    if state.supposed and moves.is_move("actual_only", turn.frame.text):
        triggers = [t for t in triggers if t not in state.supposed]
        notes = [say("supposed_left_out", what=[turn.catalogue.triggers[t].label for t in state.supposed])]
    return report(turn, state, triggers, final=_final(state), notes=notes)


# --- a money question on what was told --------------------------------------------------------------

def _told_for_article(turn: Turn, article: int) -> list[str]:
    return [t for t in turn.state.triggers if any(e.article == article for e in turn.catalogue.entries_for_trigger(t))]


def asks_amount_of_told(turn: Turn) -> bool:
    """"我们是高校，设备管理单位评价优良，市里能补多少" after the sharing income was told: a money
    question on the article of something already told, naming nothing new."""
    f = turn.frame
    if f.named or not f.is_question() or not (f.has("money") or "how_much" in f.kinds):
        return False
    top = f.top_article
    return top is not None and bool(_told_for_article(turn, top))


def amount_of_told(turn: Turn) -> Decision:
    top = turn.frame.top_article
    triggers = _told_for_article(turn, top)
    decision = report(turn, turn.state, triggers, primary=top, final=_final(turn.state))
    return Decision(decision.facts, (*decision.events, SetTopic(Topic(article=top, triggers=tuple(triggers)))))
