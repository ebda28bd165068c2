"""LLMAssistant: the `Assistant` (bot/dialogue/assistant.py) whose typed turns an OpenAI-compatible
model words, through the core's tools and behind the output guard.

    assistant = build_llm_assistant(settings)          # LLMConfigError says what to set
    reply = assistant.turn("s-1", "我们是高企，研发投入1200万，能拿多少")
    reply, trace = assistant.turn_traced("s-1", "…")    # trace: mode, cause, violations, tokens, time

One turn, under the session's lock (turns of a session run one after the other):

    1. the core's answer: the deterministic reply and next state for this message (core_turn);
       it is the fallback for every fault, and the model's first tool result (core_answer)
    2. presses, commands, empty text, a session over its rate, a spent daily budget: the core's
       answer is the reply (history still recorded)
    3. the model, in a worker thread, until the whole-turn deadline (POLICYBOT_LLM_TIMEOUT_S):
       system prompt, the last N messages, the user's text, core_answer; then any tool calls it
       makes (validation errors go back to it, two repairs at most) until it writes its text
    4. the guard (bot/llm/guard.py) checks the text against this turn's tool results
    5. used: reply = the model's text with citations, benefits, asks from the tool results;
       the session = the core's next state plus what record_facts changed, plus the history.
       Not used (any Fallback): the core's answer and the core's next state, as if in
       deterministic mode, plus the history; a log line naming the cause, never user text.

Nothing the model or its tools did is stored unless its reply is used; a worker still waiting on
a model past the deadline writes to a copy nobody reads.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.dialogue.reply import Citation, Reply
from bot.dialogue.state import AppendHistory, SessionState, SetOffered, apply
from bot.dialogue.store import StoreError
from bot.dialogue.toolkit import core_turn
from bot.llm import prompts
from bot.llm.client import Call, ChatModel, Message
from bot.llm.faults import BadOutput, Blocked, Fallback, LLMConfigError, ModelUnavailable
from bot.llm.guard import Evidence, Guard, kinds
from bot.llm.limits import Limits
from bot.llm.tools import PolicyTools

log = logging.getLogger(__name__)

MAX_STEPS = 6  # model calls in one turn
MAX_REPAIRS = 2
MAX_CITATIONS = 8
USER_CHARS = 2000  # of the user's message, sent and stored
HISTORY_CHARS = 800  # of each earlier message, sent
MAX_REPLY_CHARS = 8000  # a longer text ignored max_tokens: not checked, not sent
MARGIN_S = 0.05  # kept back from the deadline for saving and sending
# A model call past the deadline is abandoned, not stopped: its HTTP read ends at the call's
# timeout, but a server that trickles bytes can hold it open. At most this many such workers may
# be alive; beyond them turns fall back at once (cause "busy") instead of piling up threads.
MAX_WORKERS = 32


@dataclass
class Trace:
    """What happened in one turn (for eval --llm and tests; no user text)."""

    mode: str = "llm"  # llm: the model's text was sent; deterministic: the core's answer was
    cause: str | None = None  # why not the model's text (faults.py), None when it was used
    violations: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    repairs: int = 0
    steps: int = 0
    tokens: int = 0
    seconds: float = 0.0
    core: Reply | None = None  # the deterministic reply of the same turn


@dataclass(frozen=True)
class TurnLimits:
    timeout_s: float = 15.0
    turns_per_minute: int = 10
    daily_tokens: int = 2_000_000
    history_messages: int = 12


class LLMAssistant:
    calls_model = True  # front ends show "typing…" while a turn runs

    def __init__(self, engine, model: ChatModel, *, limits: Limits | None = None,
                 settings: TurnLimits = TurnLimits(), clock=time.monotonic):
        self.engine = engine
        self.model = model
        self.limits = limits or Limits(None)
        self.settings = settings
        self.clock = clock
        self.guard = _guard()
        self.causes: Counter[str] = Counter()
        self.violations: Counter[str] = Counter()
        self._workers = 0
        self._workers_lock = threading.Lock()

    # --- the Assistant protocol --------------------------------------------------------------------
    def new_session_id(self) -> str:
        return self.engine.new_session_id()

    def delete_session(self, session_id: str) -> None:
        self.engine.delete_session(session_id)
        self.limits.forget(session_id)

    def last_options(self, session_id: str):
        return self.engine.last_options(session_id)

    @property
    def knowledge(self):
        return self.engine.knowledge

    def turn(self, session_id: str | None, text: str | None = None, *, choice: str | None = None) -> Reply:
        return self.turn_traced(session_id, text, choice=choice)[0]

    def turn_traced(self, session_id: str | None, text: str | None = None, *,
                    choice: str | None = None) -> tuple[Reply, Trace]:
        start = self.clock()
        deadline = start + self.settings.timeout_s
        session_id = session_id or self.new_session_id()
        trace = Trace()
        try:
            with self.engine.store.session(session_id) as handle:
                state = SessionState.model_validate(handle.state or {})
                reply, new_state = self._turn(session_id, state, text, choice, deadline, trace)
                handle.state = new_state.model_dump(mode="json")
        except StoreError:
            log.exception("session store failed; answering in deterministic mode without state")
            reply = self.engine.turn(session_id, text, choice=choice)
            trace.mode, trace.cause = "deterministic", "store_error"
        except Exception:  # never raise to a front end: the engine's own answer
            log.exception("LLM turn failed")
            reply = self.engine.turn(session_id, text, choice=choice)
            trace.mode, trace.cause = "deterministic", "internal_error"
        trace.seconds = self.clock() - start
        if trace.cause:
            self.causes[trace.cause] += 1
        return reply, trace

    # --- one turn ----------------------------------------------------------------------------------
    def _turn(self, sid: str, state: SessionState, text: str | None, choice: str | None, deadline: float,
              trace: Trace) -> tuple[Reply, SessionState]:
        core, core_state = core_turn(self.engine, sid, state, text, choice)
        trace.core = core
        user_text = (text or "").strip()[:USER_CHARS] if choice is None else _label(state, choice)
        if choice is not None or not user_text or user_text.startswith("/"):
            trace.mode = "deterministic"  # a press, a command, nothing typed: exact ids, no wording needed
            return core, self._remember(core_state, user_text, core.reply)
        try:
            self.limits.admit(sid, per_minute=self.settings.turns_per_minute,
                              daily_tokens=self.settings.daily_tokens)
            text_out, tools = self._converse(state, core, core_state, user_text, deadline, trace)
        except Fallback as fault:
            return self._fallback(fault, core, core_state, user_text, trace)
        reply = self._reply(sid, text_out, core, tools)
        new_state = apply(tools.state, [SetOffered(tuple((o.id, o.label) for o in reply.options))])
        return reply, self._remember(new_state, user_text, reply.reply)

    def _fallback(self, fault: Fallback, core: Reply, core_state: SessionState, user_text: str, trace: Trace):
        trace.mode, trace.cause = "deterministic", fault.cause
        if isinstance(fault, Blocked):
            trace.violations = fault.kinds
            self.violations.update(fault.kinds)
        log.warning("LLM turn fell back to the deterministic reply: cause=%s %s", fault.cause, fault.detail)
        note_key = {"session_rate": "rate_limited", "token_budget": "token_budget"}.get(
            fault.cause, "model_unavailable" if isinstance(fault, ModelUnavailable) else "blocked")
        note = prompts.text("fallback_notes", note_key)
        reply = core.model_copy(update={"reply": core.reply + "\n" + note}) if note else core
        return reply, self._remember(core_state, user_text, reply.reply)

    def _remember(self, state: SessionState, user_text: str, reply_text: str) -> SessionState:
        keep = self.settings.history_messages
        if not user_text or keep <= 0:
            return state
        return apply(state, [AppendHistory("user", user_text, keep), AppendHistory("assistant", reply_text, keep)])

    # --- the model -----------------------------------------------------------------------------------
    def _converse(self, state: SessionState, core: Reply, core_state: SessionState, user_text: str,
                  deadline: float, trace: Trace) -> tuple[str, PolicyTools]:
        """The model's checked text and the tools it used, or a Fallback; within the deadline."""
        box: dict = {}
        with self._workers_lock:
            if self._workers >= MAX_WORKERS:
                raise ModelUnavailable("busy", f"{self._workers} model calls still open")
            self._workers += 1

        def work():
            try:
                box["result"] = self._loop(state, core, core_state, user_text, deadline, trace)
            except BaseException as exc:  # handed to the waiting thread
                box["error"] = exc
            finally:
                with self._workers_lock:
                    self._workers -= 1

        worker = threading.Thread(target=work, name="llm-turn", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - self.clock() - MARGIN_S))
        if worker.is_alive():
            raise ModelUnavailable("timeout", "deadline")
        if "error" in box:
            error = box["error"]
            if isinstance(error, Fallback):
                raise error
            raise BadOutput("internal_error", type(error).__name__) from error
        return box["result"]

    def _loop(self, state, core, core_state, user_text, deadline, trace):
        history_users = [t for role, t in state.history if role == "user"]
        tools = PolicyTools(self.knowledge, core_state, core=core, user_texts=(user_text, *history_users))
        specs = tools.specs()
        messages = [Message("system", prompts.system_prompt()), *self._history(state),
                    Message("user", user_text), *self._core_call(tools)]
        for _ in range(MAX_STEPS):
            remaining = deadline - self.clock() - MARGIN_S
            if remaining <= 0.05:
                raise ModelUnavailable("timeout", "deadline")
            completion = self.model.complete(messages, tools=specs, timeout=remaining)
            trace.steps += 1
            trace.tokens += completion.tokens
            self.limits.spend(completion.tokens)
            if completion.finish_reason == "length":
                raise BadOutput("length")
            if completion.malformed:
                raise BadOutput("bad_tool_json", f"{completion.malformed} calls")
            if completion.calls:
                messages.append(Message("assistant", completion.text, calls=completion.calls))
                for call in completion.calls:
                    run = tools.run(call.name, call.arguments)
                    trace.tools.append(call.name)
                    if not run.ok and run.repairable:
                        trace.repairs += 1
                        if trace.repairs > MAX_REPAIRS:
                            raise BadOutput("bad_tool_args", f"{trace.repairs} repairs")
                    messages.append(Message("tool", run.content, call_id=call.id))
                continue
            text = completion.text.strip()
            if not text:
                raise BadOutput("empty")
            if len(text) > MAX_REPLY_CHARS:
                raise BadOutput("too_long", f"{len(text)} characters")
            violations = self.guard.check(text, self._evidence(tools, user_text, history_users))
            if violations:
                raise Blocked(kinds(violations))
            return text, tools
        raise BadOutput("too_many_steps")

    def _core_call(self, tools: PolicyTools) -> list[Message]:
        """The core_answer call made on the model's behalf, and its result."""
        call = Call(id="call_core_answer", name="core_answer", arguments={})
        content = {"note": prompts.text("core_answer", "preamble"), **tools.core_answer(None)}
        return [Message("assistant", "", calls=(call,)),
                Message("tool", json.dumps(content, ensure_ascii=False, separators=(",", ":")), call_id=call.id)]

    def _history(self, state: SessionState) -> list[Message]:
        keep = self.settings.history_messages
        items = state.history[-keep:] if keep else ()
        return [Message("user" if role == "user" else "assistant", text[:HISTORY_CHARS]) for role, text in items]

    @staticmethod
    def _evidence(tools: PolicyTools, user_text: str, history_users: list[str]) -> Evidence:
        ledger, state = tools.ledger, tools.state
        amounts = set(ledger.amounts)
        for value in state.figures.values():  # the user's figures, validated and recorded
            amounts.update(value if isinstance(value, tuple) else (value,))
        if state.confirm is not None:  # the amount the core asks the user to confirm
            value = state.confirm.value
            amounts.update(value if isinstance(value, tuple) else (value,))
        return Evidence(amounts=frozenset(amounts), articles=frozenset(ledger.articles),
                        clauses=frozenset(ledger.clauses), texts=tuple(t for t in ledger.texts if t),
                        echo_texts=tuple(ledger.echoes), user_texts=(user_text, *history_users))

    # --- the reply ---------------------------------------------------------------------------------
    def _reply(self, sid: str, text: str, core: Reply, tools: PolicyTools) -> Reply:
        """The model's text; every structured field from the tool results (the core's answer first)."""
        ledger = tools.ledger
        citations: list[Citation] = list(core.citations)
        for c in ledger.citations:
            if all(c.clause != have.clause for have in citations):
                citations.append(c)
        covered = core.covered or ledger.covered
        update = {
            "reply": text,
            "covered": covered,
            "citations": citations[:MAX_CITATIONS],
            "benefits": (ledger.benefits if ledger.benefits is not None else core.benefits) if covered else [],
            "profile": tools.state.profile_dict(),
            "departments": ledger.departments if ledger.departments is not None else core.departments,
            "session": sid,
        }
        if ledger.changed_state:  # record_facts moved on: the core's question may be answered
            update |= {"asks": ledger.asks or [], "choices": [], "options": []}
        return core.model_copy(update=update)


def _label(state: SessionState, choice: str) -> str:
    """A press as the history shows it: the option's label."""
    return next((label for option_id, label in state.offered if choice == option_id), choice)


def _guard() -> Guard:
    from bot.dialogue.compose import templates
    from retrieval.corpus import POLICY_PATH

    public = [t for t in templates()["texts"].values() if isinstance(t, str)]
    return Guard(Path(POLICY_PATH).read_text(encoding="utf-8"), canary=prompts.canary(),
                 system_prompt=prompts.system_prompt(), public_texts=public)


def check_config(settings) -> None:
    """Raise LLMConfigError (a Chinese sentence saying what to set) unless LLM mode can start."""
    if not settings.llm_model:
        raise LLMConfigError(prompts.text("config", "missing_model"))
    if not settings.openai_base_url:
        raise LLMConfigError(prompts.text("config", "missing_base_url"))
    if not settings.openai_api_key:
        raise LLMConfigError(prompts.text("config", "missing_key"))


def build_llm_assistant(settings, *, memory: bool = False, engine=None) -> LLMAssistant:
    """LLM mode on the configured data dir and endpoint (LLMConfigError when it cannot start)."""
    check_config(settings)
    if engine is None:
        from bot.dialogue.engine import build_engine

        engine = build_engine(settings, memory=memory)
    model = ChatModel(base_url=settings.openai_base_url, api_key=settings.openai_api_key,
                      model=settings.llm_model, max_retries=settings.llm_max_retries,
                      temperature=settings.llm_temperature, max_tokens=settings.llm_max_tokens or None)
    model.warm()
    limits = Limits(None if memory else Path(settings.data_dir) / "llm_limits.sqlite3")
    return LLMAssistant(engine, model, limits=limits, settings=TurnLimits(
        timeout_s=settings.llm_timeout_s, turns_per_minute=settings.llm_turns_per_minute,
        daily_tokens=settings.llm_daily_tokens, history_messages=settings.llm_history_messages))
