"""Facts: what a turn decided, as data. compose() turns them into the reply text; an LLM (bot/llm)
words the same facts and its guard checks every figure against them; the web copilot shows
them side by side. Nothing here is wording: messages are template keys of prompts/replies.yaml
with their arguments.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.dialogue.reply import Citation
from calculators.evaluate import PendingItem, Totals
from calculators.models import Benefit


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Say(_Frozen):
    """One message: a template key of prompts/replies.yaml and its arguments."""

    key: str
    args: dict[str, Any] = Field(default_factory=dict)


def say(key: str, **args) -> Say:
    return Say(key=key, args=args)


class OptionRef(_Frozen):
    """An option by its stable id (org:enterprise, trigger:hitech_enterprise, done, skip,
    confirm, example:check …); compose gives it its label."""

    id: str
    args: dict[str, Any] = Field(default_factory=dict)


class Ask(_Frozen):
    """A question the reply asks now: a catalogue figure's question, or a prompt."""

    figure: str | None = None
    prompt: Say | None = None


class PolicyAnswer(_Frozen):
    """An answer from the text: the article, its answering clauses, its money items."""

    article: int
    clauses: tuple[str, ...]  # clause ids, answering first
    money_entries: tuple[str, ...] = ()  # catalogue entry ids shown with their rule
    no_money: bool = False  # the article sets measures, not amounts
    related: tuple[int, ...] = ()  # articles that scored close


class UnpaidLevel(_Frozen):
    """A thing named at a level the policy does not pay it at (市级众创空间): the words said, that
    level, the levels the article does pay, and the article."""

    said: str
    level: str  # national | region | city | foreign (issued by a body the policy does not mean)
    paid: tuple[str, ...]
    article: int
    issuer: str | None = None  # the foreign body as written


class NotCovered(_Frozen):
    place: str | None = None  # another city or a higher department named as the owner
    related: tuple[int, ...] = ()  # articles of this policy on the things the question named
    unpaid: tuple[UnpaidLevel, ...] = ()
    # the question asked which levels are paid ("还是只有国家级、自治区级的才有"): the article
    # answers it, so the reply is covered and says only what the article pays
    levels_asked: bool = False


class ReportFacts(_Frozen):
    """An eligibility report: what applies, amounts with formulas and basis, totals."""

    benefits: tuple[Benefit, ...]
    pending: tuple[PendingItem, ...] = ()
    totals: Totals = Totals()
    alternatives: bool = False  # several levels of one thing shown: pick one, not summed
    final: bool = False  # the guided check's report (org type known, validity shown)
    missing: tuple[str, ...] = ()  # figure keys still needed for an exact amount
    skipped: tuple[str, ...] = ()  # figure keys the user chose not to give
    figure_words: dict[str, str] = Field(default_factory=dict)  # figure -> the user's words


class Facts(_Frozen):
    intent: str
    covered: bool = True
    lead: tuple[Say, ...] = ()  # acknowledgements and headings, before the body
    help: bool = False
    articles_list: bool = False
    article: int | None = None  # the whole article shown
    answer: PolicyAnswer | None = None
    not_covered: NotCovered | None = None
    report: ReportFacts | None = None
    notes: tuple[Say, ...] = ()  # after the body
    art30: bool = False  # the 就高、从优、不重复 rule applies to what was shown
    validity: bool = False  # the policy's dates
    departments: tuple[str, ...] = ()
    citations: tuple[Citation, ...] = ()
    question: tuple[Say | Ask, ...] = ()  # the question asked now (form step, level, figure, confirmation)
    asks: tuple[Ask, ...] = ()
    options: tuple[OptionRef, ...] = ()
    resume: bool = False  # a digression: the pending question follows the answer

    def with_question(self, question, asks, options, *, resume: bool = False) -> Facts:
        return self.model_copy(update={"question": tuple(question), "asks": tuple(asks), "options": tuple(options),
                                       "resume": resume})
