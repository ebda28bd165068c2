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

import logging
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

    def last_options(self, session_id: str) -> list:
        """The options (id, label) of the session's last reply, for numbered presses."""
        ...


def build_assistant(settings, *, memory: bool = False, llm: bool | None = None) -> Assistant:
    """The assistant the settings ask for: LLM mode (bot.llm) when a model is configured
    (POLICYBOT_LLM_MODEL), else the deterministic engine on the configured data dir.

    llm=True forces LLM mode and raises bot.llm.faults.LLMConfigError (a Chinese sentence saying
    what to set) when it cannot start; llm=False forces the engine. With llm=None an incomplete
    LLM configuration is logged with that sentence and the engine answers.
    """
    from bot.dialogue.engine import build_engine

    if llm is False or (llm is None and not settings.llm_model):
        return build_engine(settings, memory=memory)
    from bot.llm.assistant import build_llm_assistant
    from bot.llm.faults import LLMConfigError

    try:
        return build_llm_assistant(settings, memory=memory)
    except LLMConfigError as exc:
        if llm:
            raise
        from bot.llm import prompts

        logging.getLogger(__name__).warning("%s %s", exc, prompts.text("config", "falling_back"))
        return build_engine(settings, memory=memory)
