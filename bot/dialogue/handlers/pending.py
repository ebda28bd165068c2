"""A pending question answered: a figure waiting for a yes (约200万, an amount without its
figure's words) or a level (国家级 / 自治区级) for a thing named without one."""

from __future__ import annotations

from bot.dialogue.facts import say
from bot.dialogue.fill import set_figure
from bot.dialogue.handlers import form
from bot.dialogue.nlu.figures import read_figure
from bot.dialogue.nlu.levels import level_of
from bot.dialogue.report import report
from bot.dialogue.state import AddTriggers, RemoveTriggers, SetConfirm, SetLevelQuestion, SkipFigure, apply
from bot.dialogue.turn import Decision, Turn
from calculators.format import format_yuan
from calculators.money import AmountError

# A typed level answer is short ("国家级的", "自治区"); a longer message or a question is
# something else, and the level question lapses.
LEVEL_ANSWER_MAX = 8


# --- confirmation ---------------------------------------------------------------------------------

def _accepts(turn: Turn) -> bool:
    f = turn.frame
    return f.pressed == "confirm" or f.has("yes") or (f.pressed is None and f.text.startswith(_confirm_word()))


def _confirm_word() -> str:
    from bot.dialogue.compose import templates

    return templates()["options"]["confirm"].split("{", 1)[0]


def _new_value(turn: Turn):
    pending = turn.state.confirm
    try:
        return read_figure(turn.frame.text, turn.catalogue.figures[pending.figure])
    except AmountError:
        return None


def answers_confirm(turn: Turn) -> bool:
    f = turn.frame
    if _accepts(turn) or f.pressed in (form.SKIP, "deny") or f.has("skip") or f.has("no"):
        return True
    # a message naming something new is a new question, its amount not the one awaited
    # ("我们是大学，把专利卖给本地企业拿了200万…" after "900万是成交额吗？")
    new_things = set(f.named) - set(turn.state.triggers)
    return not new_things and _new_value(turn) is not None


def confirm(turn: Turn) -> Decision:
    f, state, catalogue = turn.frame, turn.state, turn.catalogue
    pending = state.confirm
    key = pending.figure
    if _accepts(turn):
        return after_figure(turn, [SetConfirm(None), set_figure(catalogue, key, pending.value, pending.raw)],
                            [say("figure_confirmed", amount=form.show(pending.value))])
    if f.pressed == form.SKIP or f.has("skip"):
        return after_figure(turn, [SetConfirm(None), SkipFigure(key)], [say("skipped_plain")])
    value = _new_value(turn)
    if value is not None:
        return after_figure(turn, [SetConfirm(None), set_figure(catalogue, key, value, f.text)],
                            [say("recorded", what=form.show(value))])
    return form.ask(turn, [SetConfirm(None)], [say("exact_please")])


def after_figure(turn: Turn, events, lead) -> Decision:
    """A figure just given: the form goes on, or the one-shot report is recomputed."""
    if turn.state.mode == "form" and turn.state.step == "triggers":
        return form.stay_on_triggers(turn, events, lead)
    if turn.state.mode == "form":
        return form.advance(turn, events, lead)
    state = apply(turn.state, events)
    catalogue = turn.catalogue
    triggers = [x for x in state.triggers if state.last_filled in catalogue.figures_for([x])]
    decision = report(turn, state, triggers or list(state.triggers), lead=lead)
    return Decision(decision.facts, (*events, *decision.events))


# --- level -------------------------------------------------------------------------------------------

def _chosen_level(turn: Turn) -> str | None:
    f, catalogue = turn.frame, turn.catalogue
    family = turn.state.level_question.triggers
    if f.pressed and f.pressed.startswith("trigger:") and f.pressed[8:] in family:
        return f.pressed[8:]
    for tid in family:
        if f.text == catalogue.triggers[tid].label:
            return tid
    level = level_of(f.text)
    return next((x for x in family if catalogue.triggers[x].level == level), None)


def answers_level(turn: Turn) -> bool:
    return _chosen_level(turn) is not None


def level_lapses(turn: Turn) -> bool:
    """A message that is clearly about something else ends the level question."""
    f = turn.frame
    return len(f.text) > LEVEL_ANSWER_MAX or f.is_question()


def level(turn: Turn) -> Decision:
    state, catalogue = turn.state, turn.catalogue
    chosen = _chosen_level(turn)
    family = state.level_question.triggers
    events = [SetLevelQuestion(None), RemoveTriggers(tuple(t for t in family if t != chosen)), AddTriggers((chosen,))]
    if state.mode == "form":
        return form.ask(turn, events, [say("recorded", what=catalogue.triggers[chosen].label)])
    events += form.figure_events(turn)  # "我们装备是国家认定的首台（套），单价150万": the price too
    after = apply(state, events)
    decision = report(turn, after, [chosen])
    return Decision(decision.facts, (*events, *decision.events))


__all__ = ["answers_confirm", "answers_level", "confirm", "level", "level_lapses", "after_figure", "format_yuan"]
