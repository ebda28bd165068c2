"""engine.turn(): the deterministic conversation core (flow: dialogue_flow.mmd beside this file).

    engine = build_engine(settings)           # or Engine(store=SqliteSessionStore(path), data_dir=...)
    reply = engine.turn("s-1", "高企能拿多少")  # free text
    reply = engine.turn("s-1", choice="企业")    # a label from the previous reply's choices
    engine.delete_session("s-1")              # erase every trace of the session

turn() is synchronous and thread-safe: turns on one session are serialized by the store,
different sessions run in parallel. Async front ends call it through asyncio.to_thread.
turn() never raises: any internal fault becomes a polite Chinese reply and is logged.
"""

from __future__ import annotations

import logging
import threading
import uuid
from pathlib import Path

from bot.dialogue import nlu
from bot.dialogue.answers import Answerer
from bot.dialogue.form import FormFlow
from bot.dialogue.reply import Reply
from bot.dialogue.state import SessionState
from bot.dialogue.store import MemorySessionStore, SessionStore, StoreError, open_session_store
from calculators.textnorm import normalize

log = logging.getLogger(__name__)

INTERNAL_ERROR = "抱歉，处理这条消息时出了问题。请换个说法再试一次，或发送“重新开始”从头开始。"
STORE_ERROR_NOTE = "（会话记录暂时无法读取，这次回答没有用到之前填写的信息，也没有保存；请稍后再发一次这条消息。）"
STORE_UNSAVED_NOTE = "（系统繁忙，这次回答没能保存到会话记录：请稍后再发一次这条消息，以便继续测算。）"


class Knowledge:
    """The policy, the catalogue and (lazily) the retriever: loaded once per process."""

    def __init__(self, data_dir: Path, retriever=None):
        from calculators.catalogue import load_catalogue
        from retrieval.corpus import load_policy

        self.data_dir = Path(data_dir)
        self.policy = load_policy()
        self.catalogue = load_catalogue()
        self._retriever = retriever
        self._homophones = None
        self._lock = threading.Lock()

    @property
    def retriever(self):
        if self._retriever is None:
            with self._lock:
                if self._retriever is None:
                    from retrieval.search import open_retriever

                    self._retriever = open_retriever(self.data_dir)
        return self._retriever

    def correct(self, text: str) -> str:
        """`text` with homophone typos of the policy's words put right (高心企业 -> 高新企业), same
        length: what the NLU and the retriever both read.

        Needs only the index's homophones.json, so a turn that never searches (a form answer,
        重新开始) does not open the retriever. Without an index yet (a fresh data dir) the text is
        read as typed: building one is the retriever's job, on the first question that needs it.
        """
        if self._retriever is not None:
            return self._retriever.lexicon.correct(text)
        if self._homophones is None:
            from retrieval import store

            try:
                self._homophones = store.load_homophones(self.data_dir)
            except store.IndexMissing:
                return text
        return self._homophones.correct(text)


class Engine:
    def __init__(self, store: SessionStore, *, data_dir: Path, knowledge: Knowledge | None = None):
        self.store = store
        self.knowledge = knowledge or Knowledge(data_dir)
        self.answerer = Answerer(self.knowledge)
        self.form = FormFlow(self.knowledge, self.answerer)

    @staticmethod
    def new_session_id() -> str:
        return "s-" + uuid.uuid4().hex[:12]

    def turn(self, session_id: str | None, text: str | None = None, *, choice: str | None = None) -> Reply:
        session_id = session_id or self.new_session_id()
        reply = None
        try:
            with self.store.session(session_id) as handle:
                state = SessionState.model_validate(handle.state or {})
                reply = self._safe_turn(session_id, state, text, choice)
                state.turns += 1
                handle.state = state.model_dump(mode="json")
            return reply
        except StoreError as exc:  # locked, disk full, read-only, server down: the stored state is untouched
            log.error("session store: %s; the turn was answered but not saved", exc)
            if reply is not None:  # read fine, the save failed: this answer, marked as not saved
                return reply.model_copy(update={"reply": reply.reply + "\n" + STORE_UNSAVED_NOTE})
            reply = self._safe_turn(session_id, SessionState(), text, choice)
            return reply.model_copy(update={"reply": reply.reply + "\n" + STORE_ERROR_NOTE})

    def _safe_turn(self, session_id: str, state: SessionState, text: str | None, choice: str | None) -> Reply:
        snapshot = state.model_copy(deep=True)
        try:
            return self._turn(session_id, state, text, choice)
        except Exception:  # the user always gets an answer; the fault goes to the log
            log.exception("turn failed")
            for name in SessionState.model_fields:
                setattr(state, name, getattr(snapshot, name))
            return Reply(session=session_id, reply=INTERNAL_ERROR, covered=False, profile=state.profile_dict(),
                         intent="error")

    def _turn(self, sid: str, state: SessionState, text: str | None, choice: str | None) -> Reply:
        t = normalize(choice if choice is not None else (text or ""))
        if choice is None and t:  # typed text, read with its homophone typos put right (a choice is our label)
            t = self.knowledge.correct(t)
        a = self.answerer
        if not t:
            return self.form.with_resume(sid, state, a.prompt_for_input(sid, state))
        if nlu.is_reset(t):
            state.__init__()
            return a.reset(sid, state)
        if nlu.is_help(t):
            return self.form.with_resume(sid, state, a.help(sid, state))
        if nlu.is_check(t):
            return self.form.start(sid, state)
        if nlu.is_articles_list(t):
            return self.form.with_resume(sid, state, a.articles(sid, state))
        if (number := nlu.is_article_lookup(t)) is not None:
            return self.form.with_resume(sid, state, a.article(sid, state, number))

        handled = self.form.handle(sid, state, t, pressed=choice is not None)
        if handled is not None:
            return handled
        state.offer_form = False  # the offer only stands for the very next message
        if (nlu.is_greeting(t) or nlu.is_thanks(t)) and state.mode == "idle":
            return a.small_talk(sid, state, t)
        if (
            nlu.is_form_start(t)
            and not nlu.detect_triggers(t, self.knowledge.catalogue).triggers
            and not self._names_a_topic(t)
        ):
            return self.form.start(sid, state)
        if state.mode == "form":
            # A digression: answered on a scratch copy so the form's facts and pending question
            # stay exactly as they were, then the form question is repeated.
            return self.form.with_resume(sid, state, a.answer(sid, state.model_copy(deep=True), t))
        return a.answer(sid, state, t)

    def _names_a_topic(self, t: str) -> bool:
        """"揭榜挂帅项目能拿多少钱" asks about one article, not "what can we get" in general: the
        keywords find a topic (confidence above the 0.5 a question made only of benefit words gets)."""
        result = self.knowledge.retriever.search(t)
        return result.in_scope and result.confidence > 0.5

    def delete_session(self, session_id: str) -> None:
        self.store.delete(session_id)


def build_engine(settings, *, memory: bool = False) -> Engine:
    """The engine on the configured data dir (sessions in SQLite there, or in PostgreSQL when
    settings.database_url is set)."""
    data_dir = Path(settings.data_dir)
    store = MemorySessionStore() if memory else open_session_store(settings)
    return Engine(store, data_dir=data_dir)
