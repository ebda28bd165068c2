"""The one protocol every front end talks to: `Assistant.turn()` returns the reply object
(CONTRACT.md §3). The deterministic engine is one implementation; LLM mode is another.

    assistant = build_assistant(settings)            # from bot.config.Settings
    reply = assistant.turn("s-1", "高企能拿多少")      # free text
    reply = assistant.turn("s-1", choice="org:enterprise")   # a pressed option: its id or its label
    assistant.delete_session("s-1")                  # erase every trace of the session

Front ends take an Assistant as a parameter (never build one themselves), so tests pass a
scripted fake and deployments pass whichever mode the settings ask for.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.dialogue.reply import Reply


@runtime_checkable
class Assistant(Protocol):
    def turn(self, session_id: str | None, text: str | None = None, *, choice: str | None = None) -> Reply:
        """One turn of the session (a new one when session_id is None). Never raises: a fault
        becomes a polite Chinese reply."""
        ...

    def delete_session(self, session_id: str) -> None:
        """Erase every trace of the session."""
        ...

    def new_session_id(self) -> str: ...


def build_assistant(settings, *, memory: bool = False) -> Assistant:
    """The assistant the settings ask for: the deterministic engine on the configured data dir
    (LLM mode wraps it when a model is configured, see bot/llm once it exists)."""
    from bot.dialogue.engine import build_engine

    return build_engine(settings, memory=memory)
