"""Session state and the events that change it.

SessionState is frozen: nothing assigns to it. A turn's handler returns events (like Rasa's
SlotSet); `apply(state, events)` in this module is the one place a new state is made from them,
and the engine calls it once per turn. A digression, a fault or a refused message therefore
leaves the state exactly as it was: its events are simply not applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Step = Literal["org_type", "triggers", "level", "figure", "confirm", "delete_confirm"]
FigureValue = int | tuple[int, ...]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class PendingConfirm(_Frozen):
    """A figure value waiting for a yes: an approximate amount ("约200万") or an amount that came
    without its figure's words ("…100万，能补多少" when the item needs its 单价)."""

    figure: str
    value: FigureValue
    reason: Literal["approximate", "unlabelled"] = "approximate"
    raw: str = ""


class LevelQuestion(_Frozen):
    """A thing named without its level (众创空间), with the catalogue's triggers for each level."""

    object: str
    triggers: tuple[str, ...]


class Topic(_Frozen):
    """What the last answer was about, so an elliptical follow-up ("换成自治区级呢", "那什么时候
    到期", "那第十七条呢") is read against it."""

    article: int | None = None
    triggers: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    # the items of a thing the last answer found named at an unpaid level (市级企业技术中心): not the
    # asker's, but "不对，是自治区级的" moves them to a paid one
    unpaid: tuple[str, ...] = ()


class SessionState(_Frozen):
    mode: Literal["idle", "form"] = "idle"
    step: Step | None = None
    org_type: str | None = None
    triggers: tuple[str, ...] = ()
    # of those, the ones told only as a supposition ("要是明年评上高企呢"): left out of a total of
    # the actual facts ("按我们现在实际的情况，总共能拿多少")
    supposed: tuple[str, ...] = ()
    figures: dict[str, FigureValue] = Field(default_factory=dict)
    figure_words: dict[str, str] = Field(default_factory=dict)  # the user's words each figure came from
    # figures bound to one recognition each ("首台套单价200万；另一款首批次货值300万"): trigger -> figures
    trigger_figures: dict[str, dict[str, FigureValue]] = Field(default_factory=dict)
    # a figure told as a total less an excluded part ("800万，其中300万是关联单位的"): (total, parts)
    figure_deductions: dict[str, tuple[int, tuple[int, ...]]] = Field(default_factory=dict)
    skipped: tuple[str, ...] = ()  # figure keys the user chose not to give
    # how many of a recognition the asker has, when said ("两个自治区重点实验室"): each is paid
    trigger_counts: dict[str, int] = Field(default_factory=dict)
    asked_figure: str | None = None  # the figure the last reply asked for
    last_filled: str | None = None  # the figure most recently given (for bare corrections)
    confirm: PendingConfirm | None = None
    level_question: LevelQuestion | None = None
    # After a one-shot answer the organisation types are offered to start the full check.
    offer_form: bool = False
    topic: Topic | None = None
    offered: tuple[tuple[str, str], ...] = ()  # the last reply's options: (id, label)
    # LLM mode's conversation memory: the last turns as (role, text), erased with the session
    history: tuple[tuple[str, str], ...] = ()
    turns: int = 0

    def profile_dict(self) -> dict:
        """The reply's `profile`: the keys of calculators' profile JSON (`policybot benefits`), the
        counting ones only when something is counted."""
        def plain(figures):
            return {k: list(v) if isinstance(v, tuple) else v for k, v in figures.items()}
        profile = {"org_type": self.org_type, "triggers": list(self.triggers), "figures": plain(self.figures)}
        own = {t: plain(fs) for t, fs in self.trigger_figures.items() if fs}
        counted = {t: n for t, n in self.trigger_counts.items() if n > 1}
        for key, value in (("trigger_figures", own), ("counts", counted)):
            if value:
                profile[key] = value
        return profile


# --- events ------------------------------------------------------------------------------------
# Each event is a value; `_apply_one` says what it does. Handlers build them; only apply() uses them.


@dataclass(frozen=True)
class Reset:
    """Forget everything (重新开始); the turn counter stays."""


@dataclass(frozen=True)
class SetMode:
    mode: Literal["idle", "form"]
    step: Step | None = None


@dataclass(frozen=True)
class SetOrgType:
    org_type: str | None


@dataclass(frozen=True)
class AddTriggers:
    triggers: tuple[str, ...]


@dataclass(frozen=True)
class SetSupposed:
    """These recognitions were told as a supposition, not as facts."""

    triggers: tuple[str, ...]


@dataclass(frozen=True)
class RemoveTriggers:
    triggers: tuple[str, ...]


@dataclass(frozen=True)
class ReplaceTrigger:
    old: str
    new: str


@dataclass(frozen=True)
class SetFigure:
    """One validated figure value (bot.dialogue.figures.fill is the one place that makes these)."""

    figure: str
    value: FigureValue
    words: str = ""
    deduction: tuple[int, tuple[int, ...]] | None = None  # (total, excluded parts) when told so


@dataclass(frozen=True)
class SetCounts:
    """How many of each recognition the asker has, as said in this message (others kept)."""

    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class BindFigures:
    """Figures that belong to one recognition each (its own amount), replacing earlier bindings."""

    bindings: tuple[tuple[str, str, int], ...]  # (trigger, figure, value)


@dataclass(frozen=True)
class SkipFigure:
    figure: str


@dataclass(frozen=True)
class AskFigure:
    figure: str | None


@dataclass(frozen=True)
class SetConfirm:
    pending: PendingConfirm | None


@dataclass(frozen=True)
class SetLevelQuestion:
    question: LevelQuestion | None


@dataclass(frozen=True)
class OfferForm:
    offer: bool


@dataclass(frozen=True)
class SetTopic:
    topic: Topic | None


@dataclass(frozen=True)
class SetOffered:
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class AppendHistory:
    """Remember one message of the conversation (LLM mode), keeping the last `keep` of them."""

    role: Literal["user", "assistant"]
    text: str
    keep: int = 12


@dataclass(frozen=True)
class CountTurn:
    pass


Event = (Reset | SetMode | SetOrgType | AddTriggers | SetSupposed | RemoveTriggers | ReplaceTrigger | SetFigure | SetCounts | BindFigures
         | SkipFigure
         | AskFigure | SetConfirm | SetLevelQuestion | OfferForm | SetTopic | SetOffered | AppendHistory | CountTurn)


def _apply_one(state: SessionState, event: Event) -> SessionState:
    update: dict
    match event:
        case Reset():
            return SessionState(turns=state.turns)
        case SetMode(mode=mode, step=step):
            update = {"mode": mode, "step": step}
            if mode == "idle":
                update["asked_figure"] = None
        case SetOrgType(org_type=org):
            update = {"org_type": org}
        case AddTriggers(triggers=ids):  # told as a fact: no longer only supposed
            update = {"triggers": tuple(dict.fromkeys((*state.triggers, *ids))),
                      "supposed": tuple(t for t in state.supposed if t not in ids)}
        case SetSupposed(triggers=ids):
            update = {"supposed": tuple(dict.fromkeys((*state.supposed, *(t for t in ids if t in state.triggers))))}
        case RemoveTriggers(triggers=ids):
            update = {"triggers": tuple(t for t in state.triggers if t not in ids),
                      "supposed": tuple(t for t in state.supposed if t not in ids)}
        case ReplaceTrigger(old=old, new=new):
            swapped = tuple(new if t == old else t for t in state.triggers)
            update = {"triggers": tuple(dict.fromkeys(swapped))}
        case SetFigure(figure=key, value=value, words=words, deduction=deduction):
            words_now = {**state.figure_words, key: words} if words else {
                k: v for k, v in state.figure_words.items() if k != key}
            deductions = {k: v for k, v in state.figure_deductions.items() if k != key}
            if deduction is not None:
                deductions[key] = deduction
            # a new value of the figure replaces what was bound to single recognitions
            bound = {t: {k: v for k, v in fs.items() if k != key} for t, fs in state.trigger_figures.items()}
            update = {"figures": {**state.figures, key: value}, "figure_words": words_now, "last_filled": key,
                      "skipped": tuple(k for k in state.skipped if k != key), "figure_deductions": deductions,
                      "trigger_figures": {t: fs for t, fs in bound.items() if fs}}
        case SetCounts(counts=counts):
            update = {"trigger_counts": {**state.trigger_counts, **dict(counts)}}
        case BindFigures(bindings=bindings):
            bound = {t: dict(fs) for t, fs in state.trigger_figures.items()}
            for trigger, key, value in bindings:
                bound.setdefault(trigger, {})[key] = value
            update = {"trigger_figures": bound}
        case SkipFigure(figure=key):
            update = {"skipped": tuple(dict.fromkeys((*state.skipped, key)))}
        case AskFigure(figure=key):
            update = {"asked_figure": key}
        case SetConfirm(pending=pending):
            update = {"confirm": pending}
        case SetLevelQuestion(question=question):
            update = {"level_question": question}
        case OfferForm(offer=offer):
            update = {"offer_form": offer}
        case SetTopic(topic=topic):
            update = {"topic": topic}
        case SetOffered(options=options):
            update = {"offered": options}
        case AppendHistory(role=role, text=text, keep=keep):
            update = {"history": (*state.history, (role, text))[-keep:] if keep > 0 else ()}
        case CountTurn():
            update = {"turns": state.turns + 1}
        case _:
            raise TypeError(f"not a state event: {event!r}")
    return state.model_copy(update=update)


def apply(state: SessionState, events) -> SessionState:
    """The state after `events`, in order: the only way a new state is made."""
    for event in events:
        state = _apply_one(state, event)
    return state
