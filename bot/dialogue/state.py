"""Session state: what the engine remembers between turns (stored as JSON by the store)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Step = Literal["org_type", "triggers", "level", "figure", "confirm", "delete_confirm"]


class SessionState(BaseModel):
    mode: Literal["idle", "form"] = "idle"
    step: Step | None = None
    org_type: str | None = None
    triggers: list[str] = Field(default_factory=list)
    figures: dict[str, int | list[int]] = Field(default_factory=dict)
    skipped: list[str] = Field(default_factory=list)  # figure keys the user chose not to give
    asked_figure: str | None = None  # the figure the last reply asked for
    last_filled: str | None = None  # the figure most recently given (for bare corrections)
    # An approximate or unit-less amount waiting for confirmation: {"figure", "value", "choices"}
    confirm: dict | None = None
    # Families whose level (国家/自治区) is still open: {"object": ..., "triggers": [ids]}
    level_question: dict | None = None
    # What the last reply offered as buttons, so a pressed label can be resolved.
    last_choices: list[str] = Field(default_factory=list)
    # After a one-shot answer the organisation types are offered to start the full check.
    offer_form: bool = False
    turns: int = 0

    def profile_dict(self) -> dict:
        return {
            "org_type": self.org_type,
            "triggers": list(self.triggers),
            "figures": dict(self.figures),
        }
