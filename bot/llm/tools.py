"""The model's tools: plain typed functions over the core (bot.dialogue.toolkit.CoreTools). Each
method's docstring is the description the model reads; its arguments are a strict pydantic model
(no "300万" for an integer, no true for a number, no unknown keys; amounts are integer yuan in
fields named `…_yuan`).

    tools = PolicyTools(knowledge, state, core=det_reply, user_texts=("高企能拿多少",))
    spec = tools.specs()                              # OpenAI "tools" array, offered every call
    result = tools.run("get_article", '{"article": 15}')   # -> ToolRun(content=JSON, ok=True)
    tools.ledger                                      # what the tools returned this turn (for the
                                                      # guard, citations and benefits)
    tools.state                                       # the session as the tools left it

Nothing is written to the session store here: record_facts changes `tools.state`, a copy of the
session made for this turn (state events applied as the deterministic form applies them). The
assistant saves it only when the model's reply is used, so a turn that ends in a fallback leaves
the session exactly as deterministic mode would.

A call the arguments model rejects returns ToolRun(ok=False) with the validation errors in
Chinese; the model may correct them (the assistant allows two repairs).
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from bot.dialogue.reply import Citation, Reply
from bot.dialogue.state import SessionState, apply
from bot.dialogue.toolkit import CoreTools
from bot.llm import prompts
from calculators.money import MAX_YUAN, find_amounts


class _Args(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class NoArgs(_Args):
    pass


class SearchPolicyArgs(_Args):
    query: Annotated[str, Field(min_length=1, max_length=200, description="检索词或用户的问题（中文）")]


class GetArticleArgs(_Args):
    article: Annotated[int, Field(ge=1, le=30, description="条款序号，1 到 30")]


Yuan = Annotated[int, Field(gt=0, le=MAX_YUAN)]


_MODELS: dict[int, tuple] = {}


def _once(kind: str, catalogue, build):
    key = (kind, id(catalogue))
    if key not in _MODELS:
        _MODELS[key] = (catalogue, build(catalogue))  # the catalogue is kept so its id stays its own
    return _MODELS[key][1]


def figures_model(catalogue) -> type[_Args]:
    return _once("figures", catalogue, _figures_model)


def record_facts_model(catalogue) -> type[_Args]:
    return _once("record_facts", catalogue, _record_facts_model)


def _figures_model(catalogue) -> type[_Args]:
    """The figures record_facts accepts: one optional field per catalogue figure, `<key>_yuan`,
    integer yuan (a list for a figure of several items)."""
    fields = {}
    for key, figure in catalogue.figures.items():
        kind = list[Yuan] if figure.multiple else Yuan
        note = "每项一个金额的列表" if figure.multiple else "一个金额"
        fields[f"{key}_yuan"] = (kind | None, Field(default=None, description=f"{figure.label}（整数元，{note}）"))
    return create_model("Figures", __base__=_Args, **fields)


def _record_facts_model(catalogue) -> type[_Args]:
    return create_model(
        "RecordFactsArgs", __base__=_Args,
        org_type=(str | None, Field(default=None, description="单位类型 id，见 list_options 的 org_types")),
        recognitions=(list[str], Field(default_factory=list, description="认定/事项 id 列表，见 list_options")),
        figures=(figures_model(catalogue) | None, Field(default=None, description="用户说过的金额，整数元")),
    )


@dataclass
class Ledger:
    """What this turn's tools returned: the guard's evidence and the reply's structured fields."""

    amounts: set[int] = field(default_factory=set)
    articles: set[int] = field(default_factory=set)
    clauses: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)  # from the corpus, the catalogue, the calculators
    echoes: list[str] = field(default_factory=list)  # may repeat the user's words (guard.Evidence.echo_texts)
    citations: list[Citation] = field(default_factory=list)
    benefits: list | None = None  # the last calculate's benefits
    asks: list[str] | None = None  # the last record_facts / calculate's missing figures
    departments: list[str] | None = None
    covered: bool = False  # a tool found the question covered (search, article, benefits)
    called: list[str] = field(default_factory=list)
    repairs: int = 0
    changed_state: bool = False

    def cite(self, citation: Citation) -> None:
        self.articles.add(citation.article)
        self.clauses.add(citation.clause)
        self.texts.append(citation.quote)
        if all(c.clause != citation.clause for c in self.citations):
            self.citations.append(citation)

    def note_reply(self, reply: Reply) -> None:
        """The core's answer is a tool result too: its citations and benefits; its text and its
        formulas may repeat the user's words ("依据您说的“…”"), so they are echoes."""
        self.echoes.append(reply.reply)
        self.texts += reply.asks
        for c in reply.citations:
            self.articles.add(c.article)
            self.clauses.add(c.clause)
            self.texts.append(c.quote)
        self.note_benefits(reply.benefits, echo=True)

    def note_benefits(self, benefits, *, echo: bool = False) -> None:
        for b in benefits:
            self.amounts.add(b.amount_yuan)
            self.articles.add(b.article)
            self.clauses.add(b.clause)
            (self.echoes if echo else self.texts).append(b.formula)
            self.texts += [b.quote, b.note]


@dataclass(frozen=True)
class ToolRun:
    content: str  # what goes back to the model (JSON, or an error in Chinese)
    ok: bool = True
    repairable: bool = False  # a validation error the model may correct


class _Staged:
    """The session during one turn, in memory: what CoreTools reads and writes instead of the store."""

    def __init__(self, knowledge, state: SessionState):
        self.knowledge = knowledge
        self.state = state
        self.events: list = []

    def state_of(self, session_id: str) -> SessionState:
        return self.state

    def apply_events(self, session_id: str, events) -> SessionState:
        events = list(events)
        self.state = apply(self.state, events)
        self.events += events
        return self.state


def _dump(value) -> str:
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class PolicyTools:
    SESSION = "llm-turn"  # CoreTools wants a session id; the staged state has only one session

    def __init__(self, knowledge, state: SessionState, *, core: Reply, user_texts=()):
        self._staged = _Staged(knowledge, state)
        self.core_tools = CoreTools(self._staged)
        self.knowledge = knowledge
        self.core = core
        self.user_texts = tuple(user_texts)
        self.ledger = Ledger()
        self.ledger.note_reply(core)
        self._models = {
            "core_answer": NoArgs,
            "search_policy": SearchPolicyArgs,
            "get_article": GetArticleArgs,
            "list_options": NoArgs,
            "record_facts": record_facts_model(knowledge.catalogue),
            "calculate": NoArgs,
        }

    @property
    def state(self) -> SessionState:
        return self._staged.state

    # --- the tools (docstrings are what the model reads) ------------------------------------------
    def core_answer(self, args: NoArgs) -> dict:
        """规则引擎对用户本条消息的确定答复：reply（答复文字）、covered（政策是否涉及）、citations（条款原文）、benefits（可享受的资金项目，含公式）、asks（要向用户追问的问题）、choices（可点选的选项）、profile（已记录的单位信息）。每轮系统已先调用一次；回答以它为准。"""
        core = self.core
        return {"reply": core.reply, "covered": core.covered,
                "citations": [c.model_dump(mode="json") for c in core.citations],
                "benefits": [_benefit_view(b) for b in core.benefits],
                "asks": core.asks, "choices": core.choices, "profile": core.profile}

    def search_policy(self, args: SearchPolicyArgs) -> dict:
        """在《鄂尔多斯市关于深入实施科技“突围”工程加快培育新质生产力的若干政策》（共30条）原文中检索。返回 covered（政策是否涉及）和最相关的条款：article（条款序号）、clause（条款号，如 15.2）、title、quote（原文，一字不差）。"""
        result = self.core_tools.search_policy(args.query)
        for fact in result.clauses:
            citation = Citation(article=fact.article, clause=fact.clause, title=fact.title, quote=fact.quote)
            if result.covered:
                self.ledger.cite(citation)
                self.ledger.covered = True
            else:  # related articles only: evidence, not citations
                self.ledger.articles.add(fact.article)
                self.ledger.clauses.add(fact.clause)
                self.ledger.texts.append(fact.quote)
        return result.model_dump(mode="json", exclude={"clauses": {"__all__": {"score"}}})

    def get_article(self, args: GetArticleArgs) -> dict:
        """读取政策第 article 条（1–30）的全文：每句的条款号和原文、责任单位、本条的资金项目（金额规则）。"""
        fact = self.core_tools.get_article(args.article)
        money_clauses = {item.clause for item in fact.money_items}
        for c in fact.clauses:
            self.ledger.articles.add(c.article)
            self.ledger.clauses.add(c.clause)
            self.ledger.texts.append(c.quote)
        for c in [c for c in fact.clauses if c.clause in money_clauses] or fact.clauses[:1]:
            self.ledger.cite(Citation(article=c.article, clause=c.clause, title=c.title, quote=c.quote))
        for item in fact.money_items:
            self.ledger.texts += [item.rule, item.quote, item.item]
        self.ledger.texts += fact.departments
        self.ledger.covered = True
        return fact.model_dump(mode="json", exclude={"clauses": {"__all__": {"score"}}})

    def list_options(self, args: NoArgs) -> dict:
        """record_facts 可用的 id：org_types（单位类型 id → 名称）、recognitions（认定/事项 id、名称、级别、相关条款）、figures（金额项，字段名为 <key>_yuan）。"""
        vocabulary = self.core_tools.vocabulary()
        for r in vocabulary.recognitions:
            self.ledger.articles.update(r.articles)
            self.ledger.texts.append(r.label)
        self.ledger.texts += [f.question for f in vocabulary.figures]
        return vocabulary.model_dump(mode="json")

    def record_facts(self, args) -> dict:
        """记录用户明确说过的信息：org_type（单位类型 id）、recognitions（认定/事项 id 列表）、figures（金额，整数元，如上年度研发投入1200万元写 {"rd_investment_last_year_yuan": 12000000}）。只记录用户本人说过的，不要猜。返回 recorded（已记录）、errors（被拒绝的及原因）、missing（精确测算还缺的金额及追问）、profile（目前已知的全部信息）。"""
        figures, refused = {}, []
        state = self.state
        for name, value in (args.figures.model_dump(exclude_none=True) if args.figures else {}).items():
            key = name.removesuffix("_yuan")
            stored = state.figures.get(key)
            stored = list(stored) if isinstance(stored, tuple) else stored
            if value == stored:
                continue  # already recorded (by the core, with the user's own words): keep it
            unsaid = [v for v in (value if isinstance(value, list) else [value]) if not self._user_said(v)]
            if unsaid:
                refused += [prompts.text("tool_errors", "figure_not_said", amount=v) for v in unsaid]
                continue
            figures[key] = tuple(value) if isinstance(value, list) else value
        org = args.org_type if args.org_type != state.org_type else None
        recognitions = [r for r in args.recognitions if r not in state.triggers]
        result = self.core_tools.record_facts(self.SESSION, org_type=org, recognitions=recognitions, figures=figures)
        if result.recorded:
            self.ledger.changed_state = True
        self.ledger.asks = [a.question for a in result.missing]
        self.ledger.texts += self.ledger.asks
        out = result.model_dump(mode="json")
        out["errors"] = result.errors + refused
        if self.state.org_type is None:
            out["org_type_options"] = dict(self.knowledge.catalogue.org_types)
        return out

    def calculate(self, args: NoArgs) -> dict:
        """按目前记录的单位信息测算可享受的资金项目：benefits（每项的条款、金额 amount_yuan、依据 basis、周期 period、公式 formula）、totals（合计：确定金额与仅有上限的金额分列）、missing（精确测算还缺的金额）、pending（缺金额、暂不能计算的项目）、art30（就高、从优、不重复原则）、validity（有效期）、departments（责任单位）。"""
        view = self.core_tools.calculate(self.SESSION)
        ledger = self.ledger
        ledger.benefits = list(view.benefits)
        ledger.note_benefits(view.benefits)
        policy = self.knowledge.policy
        for b in view.benefits:
            ledger.cite(Citation(article=b.article, clause=b.clause, title=policy.article(b.article).title,
                                 quote=policy.clause(b.clause).text))
        ledger.covered = ledger.covered or bool(view.benefits)
        totals = view.totals
        ledger.amounts.update(v for v in (totals.one_time_yuan, totals.per_year_yuan, totals.up_to_one_time_yuan,
                                          totals.up_to_per_year_yuan) if v)
        catalogue = self.knowledge.catalogue
        from bot.dialogue.compose import describe_rule

        pending = []
        for entry_id in view.pending:
            entry = catalogue.entry(entry_id)
            rule = describe_rule(entry, catalogue)
            pending.append({"article": entry.article, "clause": entry.clause, "item": entry.item, "rule": rule})
            ledger.articles.add(entry.article)
            ledger.clauses.add(entry.clause)
            ledger.texts += [rule, entry.quote]
        for c in (view.art30, view.validity):
            ledger.articles.add(c.article)
            ledger.clauses.add(c.clause)
            ledger.texts.append(c.quote)
        ledger.asks = [a.question for a in view.missing]
        ledger.texts += ledger.asks + view.departments
        ledger.departments = list(view.departments)
        out = view.model_dump(mode="json", exclude={"pending": True, "art30": {"score"}, "validity": {"score"}})
        out["benefits"] = [_benefit_view(b) for b in view.benefits]
        out["pending"] = pending
        return out

    # --- running a call ---------------------------------------------------------------------------
    def _user_said(self, yuan: int) -> bool:
        return any(a.value_yuan == yuan for t in self.user_texts for a in find_amounts(t))

    @property
    def names(self) -> list[str]:
        return list(self._models)

    def specs(self) -> list[dict]:
        """The OpenAI `tools` array: name, the method's docstring, the arguments' JSON schema."""
        out = []
        for name, model in self._models.items():
            schema = _inline(model.model_json_schema())
            schema.pop("title", None)
            out.append({"type": "function", "function": {
                "name": name, "description": inspect.getdoc(getattr(self, name)), "parameters": schema}})
        return out

    def run(self, name: str, arguments: dict | str | None) -> ToolRun:
        self.ledger.called.append(name)
        model = self._models.get(name)
        if model is None:
            return ToolRun(prompts.text("tool_errors", "unknown_tool", name=name, names="、".join(self._models)),
                           ok=False, repairable=True)
        try:
            data = json.loads(arguments) if isinstance(arguments, str) else (arguments or {})
            if not isinstance(data, dict):
                raise ValueError
        except ValueError:
            return ToolRun(prompts.text("tool_errors", "bad_json"), ok=False, repairable=True)
        try:
            args = model.model_validate(data)
        except ValidationError as exc:
            return ToolRun(prompts.text("tool_errors", "validation", errors=_errors(exc)), ok=False, repairable=True)
        return ToolRun(_dump(getattr(self, name)(args)))


def _inline(schema: dict) -> dict:
    """The schema with every "$ref" replaced by its definition: some compatible servers (and the
    models behind them) do not follow references in tool parameters."""
    defs = schema.pop("$defs", {})

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                target = walk(dict(defs[node["$ref"].rsplit("/", 1)[-1]]))
                return {**target, **{k: walk(v) for k, v in node.items() if k != "$ref"}}
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def _benefit_view(b) -> dict:
    return b.model_dump(mode="json", include={"article", "clause", "item", "amount_yuan", "basis", "period",
                                               "formula", "note", "duration_years"})


def _errors(exc: ValidationError) -> str:
    """pydantic's errors as 'field: problem' (the message names the field path and the rule)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in error["loc"]) or "参数"
        parts.append(f"{where}: {error['msg']}")
    return "；".join(parts[:6])
