"""The reply object every front end renders (CONTRACT.md §3)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from calculators.models import Benefit


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True)

    article: int
    clause: str
    title: str
    quote: str  # verbatim substring of corpus/policy.txt


class Option(BaseModel):
    """A quick-reply option: `id` is stable across wordings and is what a front end sends back;
    `label` is what it shows."""

    model_config = ConfigDict(frozen=True)

    id: str
    label: str


class Reply(BaseModel):
    model_config = ConfigDict(frozen=True)

    session: str
    reply: str
    covered: bool = True
    citations: list[Citation] = Field(default_factory=list)
    benefits: list[Benefit] = Field(default_factory=list)
    asks: list[str] = Field(default_factory=list)
    choices: list[str] = Field(default_factory=list)
    profile: dict = Field(default_factory=dict)
    # Extensions: which part of the dialogue produced this reply (greeting, answer, form, report, …)
    intent: str = ""
    departments: list[str] = Field(default_factory=list)
    # The same options as `choices`, with stable ids (a press may send the id or the label).
    options: list[Option] = Field(default_factory=list)

    def to_json_dict(self) -> dict:
        return self.model_dump(mode="json")
