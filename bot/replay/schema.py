"""Pydantic models of a replay file (CONTRACT.md §4). Unknown keys and wrong types are errors.

    name: 高企认定后问奖补          # optional; defaults to the file name
    description: free text        # optional
    turns:                        # at least one
      - user: 我们是国家高新技术企业  # typed text ...
        note: free text           # optional, for the reader
        expect: {covered: true, first_citation: 15}
      - choice: 企业               # ... or a label of the previous reply's `choices` (exactly one)

All models are strict: ``first_citation: "15"`` is a type error, not a silent conversion, and a
misspelt key (``first_citaton``) is an error naming the line, never an ignored expectation.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from calculators.models import Benefit

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Pattern(BaseModel):
    model_config = _STRICT

    def given(self) -> dict[str, Any]:
        """Only the keys the file actually wrote."""
        return self.model_dump(exclude_unset=True)


# A `benefits_include` entry: every field of calculators.models.Benefit, all optional; it matches
# a benefit whose fields equal every key given. Built from Benefit so new fields are matchable.
BenefitPattern = create_model(
    "BenefitPattern",
    __base__=_Pattern,
    **{name: (info.annotation | None, None) for name, info in Benefit.model_fields.items()},
)


class Expect(BaseModel):
    """What must hold of one reply. Every key is optional; all given keys must hold.

    The field names are the expectation keys; bot.replay.expectations has one checker per field
    (a test keeps the two in step).
    """

    model_config = _STRICT

    # CONTRACT.md §4
    reply_contains: list[str] | None = None
    reply_not_contains: list[str] | None = None
    reply_matches: str | None = None
    covered: bool | None = None
    first_citation: int | None = None
    citations_include: list[int] | None = None
    citations_exclude: list[int] | None = None
    benefits_include: list[BenefitPattern] | None = None  # type: ignore[valid-type]
    benefits_exclude: list[int] | None = None
    asks_nonempty: bool | None = None
    profile: dict[str, Any] | None = None
    # Additions
    reply_not_matches: str | None = None
    clauses_include: list[str] | None = None
    choices_include: list[str] | None = None
    asks_contains: list[str] | None = None
    benefits_count: int | None = None

    @field_validator("reply_matches", "reply_not_matches")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as e:
                raise ValueError(f"not a valid regular expression: {e}") from None
        return pattern

    @field_validator("first_citation", "citations_include", "citations_exclude", "benefits_exclude")
    @classmethod
    def _article_numbers(cls, value: int | list[int] | None) -> int | list[int] | None:
        for n in [value] if isinstance(value, int) else value or []:
            if not 1 <= n <= 30:
                raise ValueError(f"article numbers are 1–30, got {n}")
        return value

    def given(self) -> dict[str, Any]:
        """The expectation keys this turn sets, in the order the fields are declared above."""
        return {k: getattr(self, k) for k in type(self).model_fields if k in self.model_fields_set}


class Turn(BaseModel):
    model_config = _STRICT

    user: str | None = None
    choice: str | None = None
    note: str | None = None
    expect: Expect | None = None

    @model_validator(mode="after")
    def _exactly_one_input(self) -> Turn:
        if self.user is not None and self.choice is not None:
            raise ValueError("a turn has either `user` or `choice`, not both")
        if self.user is None and self.choice is None:
            raise ValueError("a turn needs `user: <text>` or `choice: <label>`")
        return self

    @property
    def said(self) -> str:
        """The input as shown in reports: the text, or ``[choice] label``."""
        return self.user if self.user is not None else f"[choice] {self.choice}"


class ReplayFile(BaseModel):
    model_config = _STRICT

    name: str | None = None
    description: str | None = None
    turns: list[Turn] = Field(min_length=1)
