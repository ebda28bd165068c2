"""Frozen value objects shared by the calculators and everything above them.

Money is integer yuan everywhere; rates are Decimal. Never float.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Basis = Literal["fixed", "up_to", "at_least", "computed"]
Period = Literal["one_time", "per_year", "per_project", "per_person_per_year"]
Level = Literal["national", "region", "city", "none"]


class Benefit(BaseModel):
    """One applicable money item (CONTRACT.md §3 `benefits[]`, plus optional extras)."""

    model_config = ConfigDict(frozen=True)

    article: int
    clause: str
    item: str
    amount_yuan: int
    basis: Basis
    period: Period
    formula: str
    note: str = ""
    # Extensions (additive to the contract):
    id: str = ""  # catalogue entry id
    quote: str = ""  # verbatim clause fragment the amount comes from
    duration_years: int | None = None
    missing: list[str] = Field(default_factory=list)  # figure keys still needed for an exact amount


class Profile(BaseModel):
    """The facts known about the asker. Keys are documented in the README.

    - org_type: one of calculators.catalogue.ORG_TYPES keys (企业, 高校, …) or None
    - triggers: catalogue trigger ids the asker has (recognitions / events)
    - figures: figure key -> integer yuan, or a list of integer yuan for per-item figures
      (e.g. several deals: one benefit per deal, or one capped sum when the yearly cap binds)
    - trigger_figures: trigger id -> figures of that recognition only (two products' own unit
      prices); such a trigger is evaluated with these over `figures`
    - counts: trigger id -> how many of that thing the asker has (两个自治区重点实验室): a one-time
      fixed or capped item is reported once per thing
    - summed (default true): a per-item figure's items (deals, with a yearly cap over their sum) are
      each capped, then summed into one benefit (BAD_INPUTS 32); false when each item is asked
      (每个项目能奖多少): one benefit per item; several items of a
      single-value figure (two products' prices) have no common cap and stay one benefit each,
      their total in the report's totals
    - one_item: the asker has a single item of each per-item figure (促成了一个项目): without its
      figure the per-item cap, not the yearly one
    """

    model_config = ConfigDict(frozen=True)

    org_type: str | None = None
    triggers: tuple[str, ...] = ()
    figures: dict[str, int | tuple[int, ...]] = Field(default_factory=dict)
    trigger_figures: dict[str, dict[str, int | tuple[int, ...]]] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)
    summed: bool = True
    one_item: bool = False
