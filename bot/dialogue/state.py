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
    # After a one-shot answer the organisation types are offered to start the full check.
    offer_form: bool = False
    turns: int = 0

    def set_figure(self, key: str, values: list[int], *, multiple: bool) -> None:
        """Record amounts found for a figure: the list for a per-item figure, else the last one
        (a later amount in the same message corrects an earlier one)."""
        self.figures[key] = list(values) if multiple else values[-1]
        self.last_filled = key
        if key in self.skipped:
            self.skipped.remove(key)

    def profile_dict(self) -> dict:
        return {
            "org_type": self.org_type,
            "triggers": list(self.triggers),
            "figures": dict(self.figures),
        }
