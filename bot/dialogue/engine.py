"""engine.turn(): the deterministic conversation core.

    engine = build_engine(settings)                 # or Engine(store=SqliteSessionStore(path), data_dir=...)
    reply = engine.turn("s-1", "高企能拿多少")        # free text
    reply = engine.turn("s-1", choice="org:enterprise")   # a pressed option: its id or its label
    engine.delete_session("s-1")                    # erase every trace of the session

One turn: understand the message once (frame.py) -> the first rule of the table that holds
(rules.py) -> its handler's Decision (facts + events) -> the events applied here, once
(state.apply) -> compose(facts) (compose.py, prompts/replies.yaml) -> the reply object.

turn() is synchronous and thread-safe: turns on one session are serialized by the store,
different sessions run in parallel. Async front ends call it through asyncio.to_thread.
turn() never raises: any internal fault becomes a polite Chinese reply, the state unchanged.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from bot.dialogue import compose as composer
from bot.dialogue.facts import Facts, say
from bot.dialogue.frame import understand
from bot.dialogue.handlers import form, pending
from bot.dialogue.knowledge import Knowledge
from bot.dialogue.reply import Option, Reply
from bot.dialogue.rules import RULES, Rule, select
from bot.dialogue.state import CountTurn, OfferForm, SessionState, SetLevelQuestion, SetOffered, apply
from bot.dialogue.store import MemorySessionStore, SessionStore, StoreError, open_session_store
from bot.dialogue.turn import Decision, Turn

log = logging.getLogger(__name__)

__all__ = ["Engine", "Knowledge", "build_engine"]


class Engine:
    def __init__(self, store: SessionStore, *, data_dir: Path, knowledge: Knowledge | None = None,
                 rules: tuple[Rule, ...] = RULES):
        self.store = store
        self.knowledge = knowledge or Knowledge(data_dir)
        self.rules = rules

    @staticmethod
    def new_session_id() -> str:
        return "s-" + uuid.uuid4().hex[:12]

    # --- the turn --------------------------------------------------------------------------------
    def turn(self, session_id: str | None, text: str | None = None, *, choice: str | None = None) -> Reply:
        session_id = session_id or self.new_session_id()
        reply = None
        try:
            with self.store.session(session_id) as handle:
                state = SessionState.model_validate(handle.state or {})
                reply, new_state = self._safe_turn(session_id, state, text, choice)
                handle.state = new_state.model_dump(mode="json")
            return reply
        except StoreError as exc:  # locked, disk full, read-only, server down: the stored state is untouched
            log.error("session store: %s; the turn was answered but not saved", exc)
            if reply is not None:  # read fine, the save failed: this answer, marked as not saved
                return reply.model_copy(update={"reply": reply.reply + "\n" + composer.text("store_unsaved_note")})
            reply, _ = self._safe_turn(session_id, SessionState(), text, choice)
            return reply.model_copy(update={"reply": reply.reply + "\n" + composer.text("store_error_note")})

    def preview_turn(self, sid: str, state: SessionState, text: str | None, choice: str | None):
        """(reply, next state) for one message on `state`, nothing stored, never raising (a fault
        is the polite error reply with the state unchanged). LLM mode words this reply, and falls
        back to it."""
        return self._safe_turn(sid, state, text, choice)

    def _safe_turn(self, sid: str, state: SessionState, text: str | None, choice: str | None):
        try:
            return self.decide(sid, state, text, choice)
        except Exception:  # the user always gets an answer; the fault goes to the log
            log.exception("turn failed")
            facts = Facts(intent="error", covered=False, lead=(say("internal_error"),))
            return composer.compose(facts, self.knowledge, session=sid, profile=state.profile_dict()), state

    def decide(self, sid: str, state: SessionState, text: str | None, choice: str | None):
        """(reply, new state) for one message; the state is made here and only here."""
        pressed, raw = self._pressed(state, text, choice)
        frame = understand(raw, state, self.knowledge, pressed=pressed)
        turn = Turn(sid, frame, state, self.knowledge)
        rule = select(turn, self.rules)
        decision = rule.handler(turn)
        prelude = [OfferForm(False)] if state.offer_form else []
        if state.level_question is not None and rule.name != "level" and pending.level_lapses(turn):
            prelude.append(SetLevelQuestion(None))
        facts, events = decision.facts, [*prelude, *decision.events]
        if state.mode == "form" and rule.digression:
            # A question inside the check: answered, the form's facts untouched, its question repeated.
            events = prelude
            facts = self._resume(facts, state)
        elif rule.resumes and state.mode == "form":
            facts = self._resume(facts, state)
        new_state = apply(state, events)
        reply = composer.compose(facts, self.knowledge, session=sid, profile=new_state.profile_dict())
        new_state = apply(new_state, [SetOffered(tuple((o.id, o.label) for o in reply.options)), CountTurn()])
        return reply, new_state

    def _resume(self, facts: Facts, state: SessionState) -> Facts:
        question, asks, options = form.current_question(state, self.knowledge.catalogue)
        if not question:
            return facts
        return facts.with_question(question, asks, options, resume=True)

    def _pressed(self, state: SessionState, text: str | None, choice: str | None) -> tuple[str | None, str]:
        """A press as (option id, the text it stands for): an id, or a label of the last reply's
        options (or of any option the core offers). Example options stand for their question."""
        if choice is None:
            return None, text or ""
        catalogue = self.knowledge.catalogue
        for option_id, label in state.offered:
            if choice in (option_id, label):
                return self._as_text(Option(id=option_id, label=label))
        option = composer.known_option(choice, catalogue)
        if option is not None:
            return self._as_text(option)
        return None, choice  # an unknown press is read as typed text

    @staticmethod
    def _as_text(option: Option) -> tuple[str | None, str]:
        if option.id.startswith("example:"):
            return None, option.label
        return option.id, option.label

    # --- for tools (LLM mode) and front ends ------------------------------------------------------
    def state_of(self, session_id: str) -> SessionState:
        """The session's state as stored (a new session reads as empty); nothing is written."""
        with self.store.session(session_id) as handle:
            state = SessionState.model_validate(handle.state or {})
            handle.state = None  # a handle left without state is not saved back
        return state

    def apply_events(self, session_id: str, events) -> SessionState:
        """Apply state events to a session under its lock (LLM mode's record_facts and history)."""
        with self.store.session(session_id) as handle:
            state = apply(SessionState.model_validate(handle.state or {}), list(events))
            handle.state = state.model_dump(mode="json")
        return state

    # --- sessions ----------------------------------------------------------------------------------
    def last_options(self, session_id: str) -> list[Option]:
        """The options of the session's last reply (for `ask --session 2` and front ends); none
        when the store cannot be read (the turn itself then answers the store fault)."""
        try:
            offered = self.state_of(session_id).offered
        except StoreError:
            return []
        return [Option(id=i, label=label) for i, label in offered]

    def delete_session(self, session_id: str) -> None:
        self.store.delete(session_id)


def build_engine(settings, *, memory: bool = False) -> Engine:
    """The engine on the configured data dir (sessions in SQLite there, or in PostgreSQL when
    settings.database_url is set)."""
    data_dir = Path(settings.data_dir)
    store = MemorySessionStore() if memory else open_session_store(settings)
    return Engine(store, data_dir=data_dir)


__all__ += ["Decision"]
