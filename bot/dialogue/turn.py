"""The values a rule's handler works with: the Turn it reads and the Decision it returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.dialogue.facts import Facts
from bot.dialogue.frame import Frame
from bot.dialogue.state import Event, SessionState


@dataclass(frozen=True)
class Turn:
    session: str
    frame: Frame
    state: SessionState
    knowledge: object

    @property
    def catalogue(self):
        return self.knowledge.catalogue

    @property
    def policy(self):
        return self.knowledge.policy


@dataclass(frozen=True)
class Decision:
    """What a handler decided: the facts of the reply and the state events (the engine applies
    them; a handler never changes state)."""

    facts: Facts
    events: tuple[Event, ...] = field(default_factory=tuple)

    def then(self, *events: Event) -> Decision:
        return Decision(self.facts, (*self.events, *events))
