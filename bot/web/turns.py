"""One turn through the Assistant, as every web surface does it.

    turns = Turns(assistant, store)
    reply = turns.turn("api-s-1", text="高企能拿多少")
    reply = turns.turn("api-s-1", choice="企业")        # an option's id or its label
    reply = turns.turn("api-s-1", text="…", request_id="r-7")   # a retry of r-7 gets r-7's reply again
    turns.forget("api-s-1")                            # the engine session and our rows

A turn holds its session in the web store (`WebStore.locked`) from the option check to the last
row written, in every worker, so turns of one session never interleave wherever they land. On
PostgreSQL that is one transaction the engine's save joins: a worker killed mid-turn leaves
neither the engine session nor the web's rows changed, and a turn that committed has recorded its
request id, so a client that lost the answer (the connection dropped) and sends the request again
gets that answer, not a second turn. (SQLite, one machine: the engine's file and web.sqlite3
commit one after the other, so a kill between the two commits can still leave the turn applied
without its request id.)

Engine sessions are namespaced per surface, so one surface can never reach another's
conversations (a Telegram chat is `tg-<chat id>`, guessable; the API cannot name it):
    api-<id>      POST /api/turn {"session": id}
    chat-<id>     the web chat (id in the browser's cookie)
    case-<id>     a copilot case

A press must name one of the options of the session's last reply, as the web front end showed
it (`Reply.options`, or `Reply.choices` with the label as id while options are empty); anything
else raises ChoiceNotOffered before the Assistant sees it, so the session is unchanged. The
Assistant gets the option's id (the label while there are no ids).
"""

from __future__ import annotations

import re

from bot.dialogue.assistant import Assistant
from bot.dialogue.reply import Option, Reply
from bot.web.store import WebStore

SESSION_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
# An option that ends a multi-select question (pressing the others toggles them).
FINISH_LABELS = ("完成", "都没有")
FINISH_IDS = ("done", "none", "finish")


class ChoiceNotOffered(ValueError):
    def __init__(self, offered: list[Option]):
        self.offered = offered
        if offered:
            labels = "、".join(o.label for o in offered[:8]) + ("……" if len(offered) > 8 else "")
            super().__init__(f"这个选项不在上一条回复的选项中，会话未作改动。可选：{labels}；也可以直接输入文字。")
        else:
            super().__init__("上一条回复没有可选的选项，会话未作改动。请直接输入文字（text）。")


def options_of(reply: Reply) -> list[Option]:
    """The reply's options: its ids when it has them, else its choices with the label as id."""
    if reply.options:
        return list(reply.options)
    return [Option(id=label, label=label) for label in reply.choices]


def is_finish(option: Option) -> bool:
    tail = option.id.rsplit(":", 1)[-1].lower()
    return option.label in FINISH_LABELS or tail in FINISH_IDS


def is_multi_select(options: list[Option]) -> bool:
    """Several toggles and a finishing option (the form's 可多选 question)."""
    return len(options) > 2 and any(is_finish(o) for o in options)


def resolve(press: str, offered: list[Option]) -> Option | None:
    for option in offered:
        if press == option.id:
            return option
    for option in offered:
        if press == option.label:
            return option
    return None


class Turns:
    def __init__(self, assistant: Assistant, store: WebStore):
        self.assistant = assistant
        self.store = store

    def turn(self, session: str, *, text: str | None = None, choice: str | None = None,
             log_kind: str | None = None, request_id: str | None = None) -> tuple[Reply, Option | None]:
        """(reply, the pressed option or None). `log_kind` also writes the turn to the transcript;
        `request_id` names the request: the session's last one, sent again, is answered from the
        store without a second turn."""
        with self.store.locked(session):
            offered, last_request, last_reply = self.store.last_turn(session)
            if request_id and request_id == last_request and last_reply is not None:
                return last_reply, None
            pressed = None
            if choice is not None:
                offered = offered or []
                pressed = resolve(choice, offered)
                if pressed is None:
                    raise ChoiceNotOffered(offered)
                reply = self.assistant.turn(session, None, choice=pressed.id)
            else:
                reply = self.assistant.turn(session, text or "")
            self.store.set_last_options(session, options_of(reply), request_id=request_id, reply=reply)
            if log_kind:
                shown = pressed.label if pressed else (text or "")
                self.store.append_turn(session, kind="choice" if pressed else log_kind, text=shown,
                                       reply=reply, choice=pressed.id if pressed else None)
            return reply, pressed

    def forget(self, session: str) -> None:
        with self.store.locked(session):
            self.assistant.delete_session(session)
            self.store.forget_session(session)
