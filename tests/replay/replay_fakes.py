"""A scripted fake engine (not a mock) for the replay tests: enqueue() replies, read history."""

from __future__ import annotations

from collections import deque

from bot.dialogue.reply import Citation, Reply
from calculators.models import Benefit


def make_reply(
    text: str = "好的。",
    *,
    citations: list[int] | None = None,
    benefits: list[dict] | None = None,
    covered: bool = True,
    asks: list[str] | None = None,
    choices: list[str] | None = None,
    profile: dict | None = None,
) -> Reply:
    return Reply(
        session="",
        reply=text,
        covered=covered,
        citations=[
            Citation(article=a, clause=f"{a}.1", title=f"第{a}条标题", quote=f"第{a}条原文") for a in citations or []
        ],
        benefits=[
            Benefit(
                **{
                    "clause": f"{b['article']}.1",
                    "item": f"第{b['article']}条奖补",
                    "basis": "fixed",
                    "period": "one_time",
                    "formula": "定额",
                    **b,
                }
            )
            for b in benefits or []
        ],
        asks=asks or [],
        choices=choices or [],
        profile=profile or {},
    )


class ScriptedEngine:
    """Answers each turn with the next queued Reply (stamped with the session id)."""

    def __init__(self) -> None:
        self.queue: deque[Reply | Exception] = deque()
        self.history: list[tuple[str, str | None, str | None]] = []
        self.deleted: list[str] = []

    def enqueue(self, *replies: Reply | Exception) -> ScriptedEngine:
        self.queue.extend(replies)
        return self

    def turn(self, session_id: str, text: str | None = None, *, choice: str | None = None) -> Reply:
        self.history.append((session_id, text, choice))
        if not self.queue:
            raise RuntimeError("scripted engine: no reply queued")
        item = self.queue.popleft()
        if isinstance(item, Exception):
            raise item
        return item.model_copy(update={"session": session_id})

    def delete_session(self, session_id: str) -> None:
        self.deleted.append(session_id)

    @property
    def sessions(self) -> list[str]:
        return list(dict.fromkeys(s for s, _, _ in self.history))
