"""The guided check: organisation type -> recognitions (multi-select) -> only the figures the chosen
items need -> report. Corrections, skips, digressions and resets work at every step."""

from __future__ import annotations

from bot.dialogue.facts import Ask, Facts, OptionRef, say
from bot.dialogue.fill import add_items, set_figure
from bot.dialogue.handlers.corrections import read_correction
from bot.dialogue.nlu import moves
from bot.dialogue.nlu.figures import read_figure
from bot.dialogue.nlu.recognitions import only_figure_words
from bot.dialogue.report import citation, report
from bot.dialogue.state import (
    AddTriggers,
    AskFigure,
    LevelQuestion,
    OfferForm,
    PendingConfirm,
    RemoveTriggers,
    Reset,
    SessionState,
    SetConfirm,
    SetLevelQuestion,
    SetMode,
    SetOrgType,
    SkipFigure,
    apply,
)
from bot.dialogue.turn import Decision, Turn
from calculators.format import format_yuan
from calculators.money import AmountError, ApproximateAmount

DONE, NONE, SKIP = "done", "none", "skip"
# A form-start phrase names a topic of its own above this retrieval confidence. Measured: named
# topics 0.74-0.84 (揭榜挂帅 0.74, 首台套 0.79, 中试基地 0.84), the phrases alone 0.50-0.51
# ("我们能享受哪些支持", "想整体评估一下我们能享受哪些支持").
FORM_TOPIC_CONFIDENCE = 0.6


# --- the pending question ------------------------------------------------------------------------

def trigger_options(catalogue, org_type: str | None) -> list[str]:
    # Items meant for this kind of organisation alone first: they are what it most likely has.
    return [t.id for t in sorted(catalogue.triggers_for_org(org_type), key=lambda t: len(t.recipients))]


def current_question(state: SessionState, catalogue) -> tuple[list, list[Ask], list[OptionRef]]:
    """The form's pending question: (question, asks, options); empty outside the form."""
    if state.mode != "form":
        return [], [], []
    if state.step == "org_type":
        return [say("ask_org")], [Ask(prompt=say("ask_org"))], [OptionRef(id=f"org:{k}") for k in catalogue.org_types]
    if state.step == "triggers":
        question = [say("ask_triggers")]
        if state.triggers:
            question.append(say("chosen_so_far", labels=[catalogue.triggers[t].label for t in state.triggers]))
        options = [OptionRef(id=f"trigger:{t}") for t in trigger_options(catalogue, state.org_type)]
        options += [OptionRef(id=DONE)] if state.triggers else [OptionRef(id=NONE), OptionRef(id=DONE)]
        return question, [Ask(prompt=say("ask_triggers"))], options
    if state.step == "figure" and state.asked_figure:
        ask = Ask(figure=state.asked_figure)
        return [ask], [ask], [OptionRef(id=SKIP)]
    return [], [], []


def ask(turn: Turn, decision_events, lead=(), *, intent: str = "form") -> Decision:
    """Acknowledge (lead) and ask the form's question as it stands after the events."""
    after = apply(turn.state, decision_events)
    question, asks, options = current_question(after, turn.catalogue)
    facts = Facts(intent=intent, covered=True, lead=tuple(lead)).with_question(question, asks, options)
    return Decision(facts, tuple(decision_events))


# --- entry ---------------------------------------------------------------------------------------

def start(turn: Turn) -> Decision:
    """/check or "我想看看我们能享受哪些政策": begin from nothing."""
    return ask(turn, [Reset(), SetMode("form", "org_type")], [say("form_intro")])


def asks_for_the_check(turn: Turn) -> bool:
    """"我想看看我们能享受哪些政策", "帮我们单位估一下能拿哪些补贴": the whole check, when the message
    names no topic of its own and is about the asker (or this policy), not about someone else
    ("养羊的合作社能拿啥补贴" is not this policy's business)."""
    f = turn.frame
    if not f.has("form_start") or f.detected.triggers:
        return False
    if turn.state.triggers and f.has("total"):
        return False  # "那我们总共能拿多少": the facts already told, added up
    if f.search.in_scope and f.search.confidence > FORM_TOPIC_CONFIDENCE:
        return False  # "揭榜挂帅项目能拿多少钱" names its topic: answered, not the whole check
    return (f.search.in_scope or f.has("claim") or f.has("asker") or f.org_type is not None
            or moves.is_move("form_start_self", f.text))


def start_from_offer(turn: Turn) -> Decision:
    """An organisation type pressed right after a one-shot answer: the facts told are kept."""
    org = offered_org(turn)
    catalogue = turn.catalogue
    closed = tuple(t for t in turn.state.triggers if org not in catalogue.triggers[t].recipients)
    events = [OfferForm(False), SetLevelQuestion(None), SetConfirm(None), SetMode("form", "triggers"),
              SetOrgType(org), RemoveTriggers(closed)]
    return ask(turn, events, [say("form_intro"), say("recorded", what=catalogue.org_types[org])])


def offered_org(turn: Turn) -> str | None:
    frame = turn.frame
    if frame.pressed and frame.pressed.startswith("org:"):
        return frame.pressed[4:]
    return next((k for k, label in turn.catalogue.org_types.items() if frame.text == label), None)


# --- steps ---------------------------------------------------------------------------------------

def answers_org(turn: Turn) -> bool:
    f = turn.frame
    return f.pressed is not None or f.org_type is not None or f.has("skip") or not f.is_question()


def org_type(turn: Turn) -> Decision:
    f, catalogue = turn.frame, turn.catalogue
    org = f.pressed[4:] if f.pressed and f.pressed.startswith("org:") else f.org_type
    if org is None and (f.has("skip") or f.pressed == SKIP):
        return ask(turn, [SetMode("form", "triggers")], [say("any_org")])
    if org is None and not f.detected.triggers:
        return ask(turn, [], [say("org_not_understood")])
    if org is None:
        # "国家高企，去年刚认定的": a recognition for an answer; the type is the one its recipients share
        shared = set.intersection(*(set(catalogue.triggers[t].recipients) for t in f.detected.triggers))
        org = next(iter(shared)) if len(shared) == 1 else None
    # The first answer may already name recognitions ("我们是企业，刚认定了高企").
    named = tuple(f.detected.for_org(catalogue, org))
    events = [*([SetOrgType(org)] if org else []), SetMode("form", "triggers"), AddTriggers(named), *figure_events(turn)]
    lead = say("recorded", what=catalogue.org_types[org]) if org else say("any_org")
    return _with_preview(turn, ask(turn, events, [lead]), events, named)


def _label_trigger(turn: Turn) -> str | None:
    f = turn.frame
    if f.pressed and f.pressed.startswith("trigger:"):
        return f.pressed[8:]
    return next((tid for tid, t in turn.catalogue.triggers.items() if f.text == t.label), None)


def _ends_selection(turn: Turn) -> bool:
    f = turn.frame
    # "那合计一下" / "一共能拿多少" once something is picked: the list is done, the report is asked
    return f.pressed in (DONE, NONE) or f.has("done") or f.has("skip") or (bool(turn.state.triggers) and f.has("total"))


def answers_triggers(turn: Turn) -> bool:
    """A pick, a name, or the end of the list. A question about something already picked
    ("院士工作站每年还有运行补贴吗") is a digression; one naming new things still adds them."""
    f = turn.frame
    new_names = [t for t in f.named if t not in turn.state.triggers]
    return (f.pressed is not None or _ends_selection(turn) or _label_trigger(turn) is not None
            or bool(new_names) or not f.is_question())


def triggers(turn: Turn) -> Decision:
    f, state, catalogue = turn.frame, turn.state, turn.catalogue
    if _ends_selection(turn):
        if not state.triggers:
            return Decision(Facts(intent="report", covered=True, lead=(say("no_benefits"),)), (SetMode("idle"),))
        return advance(turn, [])
    tid = _label_trigger(turn)
    if tid is not None:
        label = catalogue.triggers[tid].label
        if tid in state.triggers:
            return ask(turn, [RemoveTriggers((tid,))], [say("cancelled", what=label)])
        return ask(turn, [AddTriggers((tid,))], [say("selected", what=label)])
    detected = f.detected
    wanted = catalogue.figures_for(state.triggers)
    if (f.figures.values or f.figures.approximate) and only_figure_words(detected, f.text, catalogue, wanted):
        # "研究院上年度研发投入900万元": 研发投入 is the picked item's figure here, not Art. 16's recognition
        if (told := _told_figures(turn)) is not None:
            return told
    resolved = detected.for_org(catalogue, state.org_type)
    if resolved or detected.ambiguous:
        added = tuple(x for x in resolved if x not in state.triggers)
        events = [AddTriggers(added), *figure_events(turn)]
        if detected.ambiguous:
            obj, family = next(iter(detected.ambiguous.items()))
            events.append(SetLevelQuestion(LevelQuestion(object=obj, triggers=tuple(family))))
            question = say("ask_level", object=obj)
            facts = Facts(intent="form", covered=True).with_question(
                [question], [Ask(prompt=question)], [OptionRef(id=f"trigger:{x}") for x in family])
            return Decision(facts, tuple(events))
        names = [catalogue.triggers[x].label for x in added] or say("recorded_none_new")
        decision = ask(turn, events, [say("recorded_more", what=names)])
        return _with_preview(turn, decision, events, added)
    return _told_figures(turn) or ask(turn, [], [say("triggers_not_understood")])


def _told_figures(turn: Turn) -> Decision | None:
    """A figure of an item already picked, told while recognitions are asked ("研究院去年研发花了九百万"):
    recorded (an approximate one confirmed first), the list stays open, and the preview shows what it
    is worth now."""
    reading, state, catalogue = turn.frame.figures, turn.state, turn.catalogue
    wanted = set(catalogue.figures_for(state.triggers))
    if reading.approximate and reading.approximate[0].role in wanted:
        fm = reading.approximate[0]
        return confirm_approximate(turn, fm.role, fm.value, fm.mention.raw)
    events = [e for e in figure_events(turn) if e.figure in wanted]
    if not events:
        return None
    lead = [say("figure_recorded", label=catalogue.figures[e.figure].label, value=show(e.value)) for e in events]
    return stay_on_triggers(turn, events, lead)


def stay_on_triggers(turn: Turn, events, lead) -> Decision:
    """A figure recorded while recognitions are asked: the list stays open, with what the picked items
    are worth now."""
    return _with_preview(turn, ask(turn, events, lead), events, tuple(apply(turn.state, events).triggers))


def _with_preview(turn: Turn, decision: Decision, events, added) -> Decision:
    """Recognitions told in words ("去年底我们被认定为国家高新技术企业") are answered with what they
    are worth right away, cited, before the check goes on; the full report still comes at 完成."""
    if not added:
        return decision
    preview = report(turn, apply(turn.state, events), list(added)).facts
    if preview.report is None or not (preview.report.benefits or preview.report.pending):
        return decision
    shown = preview.report.model_copy(update={"missing": (), "skipped": ()})
    return Decision(decision.facts.model_copy(update={"report": shown, "citations": preview.citations}),
                    decision.events)


def figure_events(turn: Turn) -> list:
    """The figures a message states with their own cue words, as events, for the inputs of the
    recognitions told or named (or the figure asked). Another item of a thing
    already told ("还有一款也是自治区首台套，单价260万") adds its figure to the told one's: two
    products, two benefits."""
    f, reading, catalogue, state = turn.frame, turn.frame.figures, turn.catalogue, turn.state
    adds = moves.is_move("adds_item", f.text) and bool(f.detected.triggers) and set(f.detected.triggers) <= set(
        state.triggers)
    # Beside a recognition named with inputs of its own, only inputs: an amount cued as another rule's
    # input ("财政资金买的200万电镜" beside instrument sharing) is never kept for a rule named later.
    # With none named, the figure's cue names the item ("共享服务收入650万"); beside a cap-only one
    # ("研发投入两千万，我们是企业") it is a fact of the asker's, kept for the rule it may meet later.
    named_inputs = catalogue.figures_for(f.detected.all_ids())
    inputs = {*named_inputs, *catalogue.figures_for(state.triggers), *([state.asked_figure] if state.asked_figure else [])}
    events = []
    for key, values in reading.values.items():
        if named_inputs and key not in inputs:
            continue
        value = values if key in reading.itemised or catalogue.figures[key].multiple else values[-1]
        words = reading.words.get(key, "")
        if adds and state.figures.get(key) is not None:
            value, words = add_items(state, key, value, words)
        events.append(set_figure(catalogue, key, value, words, reading.deductions.get(key)))
    return events


def answers_figure(turn: Turn) -> bool:
    f = turn.frame
    return f.pressed is not None or f.has("skip") or bool(f.figures.mentions) or not f.is_question()


def figure(turn: Turn) -> Decision:
    f, state, catalogue = turn.frame, turn.state, turn.catalogue
    key = state.asked_figure
    if key is None:
        return advance(turn, [])
    fig = catalogue.figures[key]
    if f.pressed == SKIP or f.has("skip"):
        return advance(turn, [SkipFigure(key)], [say("skipped_figure", label=fig.label)])
    try:
        value = read_figure(f.text, fig)
    except ApproximateAmount as err:
        return confirm_approximate(turn, key, err.candidate_yuan, err.raw)
    except AmountError as err:
        if err.kind == "no_amount" and f.detected.triggers:
            added = tuple(x for x in f.detected.for_org(catalogue, state.org_type) if x not in state.triggers)
            names = [catalogue.triggers[x].label for x in f.detected.triggers]
            return advance(turn, [AddTriggers(added)], [say("added_during_figures", what=names)])
        return ask(turn, [], [amount_problem(err)])
    return advance(turn, [set_figure(catalogue, key, value, f.text)],
                   [say("figure_recorded", label=fig.label, value=show(value))])


def amount_problem(err: AmountError):
    kind = err.kind
    if kind == "no_amount" and "%" in (err.raw or ""):
        kind = "percent"
    return say(f"amount_problem_{kind}", raw=err.raw)


def confirm_approximate(turn: Turn, key: str, value: int, raw: str, lead=()) -> Decision:
    question = say("approximate", raw=raw, amount=format_yuan(value))
    pending = PendingConfirm(figure=key, value=value, reason="approximate", raw=raw)
    options = [OptionRef(id="confirm", args={"amount": format_yuan(value)}), OptionRef(id=SKIP)]
    facts = Facts(intent="form", covered=True, lead=tuple(lead), citations=figure_citations(turn, key)).with_question(
        [question], [Ask(figure=key)], options)
    return Decision(facts, (SetConfirm(pending),))


def figure_citations(turn: Turn, key: str) -> tuple:
    """The clauses of the told items whose formula waits for `key`: a figure asked again ("大概两三百万"
    is asked as one amount) is still cited to the rule it is for."""
    catalogue, seen, out = turn.catalogue, set(), []
    topic = turn.state.topic
    told = list(dict.fromkeys([*turn.state.triggers, *(topic.triggers if topic else ())]))
    for entry in (e for t in told for e in catalogue.entries_for_trigger(t)):
        if entry.figure == key and entry.clause not in seen:
            seen.add(entry.clause)
            out.append(citation(turn.knowledge, entry.article, entry.clause, entry.quote))
    return tuple(out)


def show(value) -> list[str]:
    """A figure value for a message: its amounts (compose joins a list)."""
    return [format_yuan(v) for v in value] if isinstance(value, tuple) else [format_yuan(value)]


def deduction_notes(reading, catalogue) -> list:
    """"（已扣除其中20万：…按45万计）" for each figure told as a total less a part."""
    return [say("deduction", parts=[format_yuan(v) for v in parts], label=catalogue.figures[key].label,
                value=show(reading.values[key])) for key, (_total, parts) in reading.deductions.items()]


def advance(turn: Turn, events, lead=()) -> Decision:
    """Ask the next figure the chosen items need, or finish with the report."""
    state = apply(turn.state, events)
    catalogue = turn.catalogue
    # only what the report will use: an item the organisation type cannot receive needs no figure
    usable = [t for t in state.triggers if state.org_type is None or state.org_type in catalogue.triggers[t].recipients]
    needed = [k for k in catalogue.figures_for(usable) if k not in state.figures and k not in state.skipped]
    if needed:
        return ask(turn, [*events, SetMode("form", "figure"), AskFigure(needed[0])], lead)
    done = [*events, SetMode("idle")]
    final_state = apply(turn.state, done)
    decision = report(turn, final_state, list(final_state.triggers), final=True, lead=[*lead, say("collected")])
    return Decision(decision.facts, (*done, *decision.events))


# --- corrections inside the form -----------------------------------------------------------------

def is_correction(turn: Turn) -> bool:
    return turn.frame.has("correction") and read_correction(turn, org_allowed=turn.state.step != "org_type").changed


def correction(turn: Turn) -> Decision:
    state, catalogue = turn.state, turn.catalogue
    found = read_correction(turn, org_allowed=state.step != "org_type")
    if found.org_type and not found.figures:
        return ask(turn, found.events, [say("org_corrected", org=catalogue.org_types[found.org_type])])
    if found.figures:
        after = apply(state, found.events)
        key = found.figures[-1]
        lead = [say("figure_corrected", label=catalogue.figures[key].label, value=show(after.figures[key]))]
        if key == state.asked_figure:
            return advance(turn, found.events, lead)
        if state.step == "triggers":
            return stay_on_triggers(turn, found.events, lead)
        return ask(turn, found.events, lead)
    labels = [catalogue.triggers[t].label for t in found.swapped]
    if state.step == "triggers":
        return stay_on_triggers(turn, found.events, [say("level_corrected", what=labels)])
    return ask(turn, found.events, [say("level_corrected", what=labels)])
