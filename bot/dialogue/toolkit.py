"""The core's facts and actions as plain typed values, for tools (LLM mode) and other callers that
must not parse prose: search the policy, read an article, record an enterprise's facts, report.

    tools = CoreTools(engine)
    tools.search_policy("高企认定了能拿多少")              -> [ClauseFact(article=15, clause="15.2", ...)]
    tools.record_facts("s-1", org_type="enterprise", recognitions=["hitech_enterprise"],
                       figures={"rd_investment_last_year": 12_000_000})   -> RecordResult
    tools.calculate("s-1")                               -> ReportView (benefits, totals, Art. 30, …)
    core_turn(engine, "s-1", state, "高企能拿多少", None)  -> (Reply, SessionState), nothing stored

Everything written goes through the engine's apply_events (the same session state and events the
deterministic form uses), so a conversation may switch between LLM and deterministic mode and
keep every fact. Values are validated against the catalogue; a bad value is reported back, never
stored.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.dialogue import compose
from bot.dialogue.fill import set_figure
from bot.dialogue.report import alternatives, evaluate_session
from bot.dialogue.state import AddTriggers, SetOrgType
from calculators.evaluate import Totals
from calculators.models import Benefit
from calculators.money import MAX_YUAN

ART30_RULE_CLAUSE = "30.6"  # 就高、从优、不重复
VALIDITY_CLAUSE = "30.1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ClauseFact(_Frozen):
    article: int
    clause: str
    title: str
    quote: str  # verbatim from corpus/policy.txt
    score: float = 0.0


class MoneyItem(_Frozen):
    entry_id: str
    article: int
    clause: str
    item: str
    rule: str  # the rule in words ("一次性 30万元", "按上年度研发投入的20%，最高500万元（每年）")
    quote: str
    needs_figure: str | None = None  # the figure key its amount depends on


class ArticleFact(_Frozen):
    article: int
    title: str
    clauses: list[ClauseFact]
    departments: list[str]
    money_items: list[MoneyItem]


class SearchResultFact(_Frozen):
    covered: bool
    clauses: list[ClauseFact]
    reason: str | None = None  # why not covered: foreign_benefit / other_place
    place: str | None = None


class Ask(_Frozen):
    figure: str
    label: str
    question: str


class RecordResult(_Frozen):
    recorded: list[str]  # what was stored, e.g. "org_type=enterprise", "rd_investment_last_year=12000000"
    errors: list[str]  # what was refused and why (unknown id, not positive …), from prompts/replies.yaml
    missing: list[Ask]  # figures still needed for exact amounts
    profile: dict


class ReportView(_Frozen):
    benefits: list[Benefit]
    totals: Totals
    alternatives: bool  # several levels of one thing: pick one, the totals do not add them
    missing: list[Ask]
    pending: list[str]  # entry ids whose amount needs a figure and has no cap
    departments: list[str]
    art30: ClauseFact  # 就高、从优、不重复
    validity: ClauseFact
    valid_from: str
    valid_until: str
    profile: dict


class RecognitionOption(_Frozen):
    id: str
    label: str
    level: str
    articles: list[int]


class FigureOption(_Frozen):
    key: str
    label: str
    question: str
    multiple: bool


class Vocabulary(_Frozen):
    org_types: dict[str, str]
    recognitions: list[RecognitionOption] = Field(default_factory=list)
    figures: list[FigureOption] = Field(default_factory=list)


def core_turn(engine, session_id: str, state, text: str | None, choice: str | None):
    """The deterministic reply and the next state for one message on `state`, nothing stored and
    never raising (a fault is the engine's polite error reply, the state unchanged). LLM mode
    calls it first: the reply is the core's answer the model words, and its fallback."""
    return engine.preview_turn(session_id, state, text, choice)


class CoreTools:
    def __init__(self, engine):
        self.engine = engine
        self.k = engine.knowledge

    def _clause(self, article: int, clause: str, score: float = 0.0) -> ClauseFact:
        return ClauseFact(article=article, clause=clause, title=self.k.policy.article(article).title,
                          quote=self.k.policy.clause(clause).text, score=score)

    # --- reading ----------------------------------------------------------------------------------
    def search_policy(self, query: str, k: int = 3) -> SearchResultFact:
        result = self.k.retriever.search(self.k.correct(query or ""))
        clauses = [self._clause(hit.article, c.clause_id, round(hit.score, 3))
                   for hit in result.articles[:k] for c in hit.clauses[:2]]
        return SearchResultFact(covered=result.in_scope, clauses=clauses, reason=result.reason, place=result.place)

    def get_article(self, number: int) -> ArticleFact:
        if not 1 <= number <= 30:
            raise ValueError("article must be 1–30")
        article = self.k.policy.article(number)
        items = [MoneyItem(entry_id=e.id, article=e.article, clause=e.clause, item=e.item,
                           rule=compose.describe_rule(e, self.k.catalogue), quote=e.quote, needs_figure=e.figure)
                 for e in self.k.catalogue.entries_for_article(number)]
        return ArticleFact(article=number, title=article.title,
                           clauses=[self._clause(number, c.id) for c in article.clauses],
                           departments=list(article.departments), money_items=items)

    def vocabulary(self) -> Vocabulary:
        """The ids record_facts accepts."""
        cat = self.k.catalogue
        return Vocabulary(
            org_types=dict(cat.org_types),
            recognitions=[RecognitionOption(id=tid, label=t.label, level=t.level,
                                            articles=sorted({e.article for e in cat.entries_for_trigger(tid)}))
                          for tid, t in cat.triggers.items()],
            figures=[FigureOption(key=key, label=f.label, question=f.ask, multiple=f.multiple)
                     for key, f in cat.figures.items()],
        )

    # --- writing ----------------------------------------------------------------------------------
    def record_facts(self, session_id: str, *, org_type: str | None = None, recognitions=(),
                     figures: dict | None = None) -> RecordResult:
        cat = self.k.catalogue
        events, recorded, errors = [], [], []
        if org_type is not None:
            if org_type in cat.org_types:
                events.append(SetOrgType(org_type))
                recorded.append(f"org_type={org_type}")
            else:
                errors.append(compose.text("tool_unknown_org", value=org_type, known=", ".join(cat.org_types)))
        known = [r for r in recognitions if r in cat.triggers]
        errors += [compose.text("tool_unknown_recognition", value=r) for r in recognitions if r not in cat.triggers]
        if known:
            events.append(AddTriggers(tuple(known)))
            recorded += [f"recognition={r}" for r in known]
        for key, value in (figures or {}).items():
            if key not in cat.figures:
                errors.append(compose.text("tool_unknown_figure", value=key))
                continue
            items = value if isinstance(value, list | tuple) else [value]
            if not items or any(isinstance(v, bool) or not isinstance(v, int) or not 0 < v <= MAX_YUAN for v in items):
                errors.append(compose.text("tool_bad_amount", key=key, value=repr(value)))
                continue
            stored = tuple(items) if cat.figures[key].multiple or len(items) > 1 else items[0]
            events.append(set_figure(cat, key, stored))
            recorded.append(f"{key}={value}")
        state = self.engine.apply_events(session_id, events) if events else self.engine.state_of(session_id)
        return RecordResult(recorded=recorded, errors=errors, missing=self._missing(state),
                            profile=state.profile_dict())

    def _missing(self, state) -> list[Ask]:
        cat = self.k.catalogue
        keys = [k for k in cat.figures_for(state.triggers) if k not in state.figures and k not in state.skipped]
        return [Ask(figure=k, label=cat.figures[k].label, question=cat.figures[k].ask) for k in keys]

    def calculate(self, session_id: str) -> ReportView:
        state = self.engine.state_of(session_id)
        cat, policy = self.k.catalogue, self.k.policy
        final = state.org_type is not None
        report = evaluate_session(state, state.triggers, cat, final=final)
        return ReportView(
            benefits=list(report.benefits), totals=report.totals,
            alternatives=not final and alternatives(cat, state.triggers),
            missing=self._missing(state), pending=[p.entry_id for p in report.pending],
            departments=list(report.departments),
            art30=self._clause(30, ART30_RULE_CLAUSE), validity=self._clause(30, VALIDITY_CLAUSE),
            valid_from=policy.effective.isoformat(), valid_until=policy.expires.isoformat(),
            profile=state.profile_dict(),
        )
