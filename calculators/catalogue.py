"""The benefit catalogue: corpus/benefits.yaml loaded into frozen, validated models.

Usage:
    cat = load_catalogue()                      # cached; corpus/benefits.yaml next to this package
    cat.entry("hitech_enterprise_award").rule   # FixedRule(amount_yuan=300000)
    cat.entries_for_trigger("hitech_enterprise")
    cat.triggers_for_org("enterprise")
    cat.match_triggers("我们去年认定了高企")       # ["hitech_enterprise"]

The YAML is the data a policy officer reads and corrects; this module only checks it. Every
problem found on load raises CatalogueError naming the file, the entry and the field:

    ValueError
     └── CatalogueError          the YAML is malformed or refers to something undefined

Rule kinds (``rule.kind``):
    fixed     amount_yuan                      the text states the exact amount
    up_to     cap_yuan                         the text gives only a cap (no rate, no tiers)
    at_least  floor_yuan                       the text gives a floor (不低于)
    ratio     figure, rate, cap_yuan,          figure × rate; cap_yuan caps a single figure;
              item_cap_yuan, yearly_cap_yuan   for per-item (multiple) figures item_cap_yuan caps
                                               each item and yearly_cap_yuan the yearly sum
    match     figure, ratio, cap_yuan          1:1 matching of a figure, optionally capped
    equal     figure                           等额: exactly the figure
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from calculators.models import Level, Period
from calculators.yamlfile import load_yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "corpus" / "benefits.yaml"

# The org type keys every part of the project uses; benefits.yaml must list exactly these.
ORG_TYPES: dict[str, str] = {
    "enterprise": "企业",
    "new_rd_institution": "新型研发机构",
    "university": "高校",
    "research_institute": "科研院所",
    "hospital": "医院",
    "incubator": "孵化载体/众创空间运营方",
    "tech_service": "技术转移/科技服务机构",
    "park": "园区/高新区",
    "banner": "旗区人民政府",
    "lab": "实验室/重大科研平台",
    "talent": "个人/人才团队",
}

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_CLAUSE_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})$")


class CatalogueError(ValueError):
    """benefits.yaml is malformed or inconsistent; the message says where and what to fix."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, float):
        raise ValueError(f'{what} must be written as a string (e.g. "0.20"), not a float')
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number written as a string")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{what} {value!r} is not a decimal number") from None


PositiveYuan = Annotated[int, Field(gt=0, strict=True)]


# --- rules -------------------------------------------------------------------------------------


class FixedRule(_Frozen):
    kind: Literal["fixed"]
    amount_yuan: PositiveYuan


class UpToRule(_Frozen):
    kind: Literal["up_to"]
    cap_yuan: PositiveYuan


class AtLeastRule(_Frozen):
    kind: Literal["at_least"]
    floor_yuan: PositiveYuan


class RatioRule(_Frozen):
    kind: Literal["ratio"]
    figure: str
    rate: Decimal
    cap_yuan: PositiveYuan | None = None
    item_cap_yuan: PositiveYuan | None = None
    yearly_cap_yuan: PositiveYuan | None = None

    @field_validator("rate", mode="before")
    @classmethod
    def _rate(cls, v: Any) -> Decimal:
        rate = _decimal(v, "rate")
        if not Decimal(0) < rate <= Decimal(1):
            raise ValueError(f'rate {v!r} must be between 0 and 1 ("0.20" means 20%)')
        return rate


class MatchRule(_Frozen):
    kind: Literal["match"]
    figure: str
    ratio: Decimal = Decimal(1)
    cap_yuan: PositiveYuan | None = None

    @field_validator("ratio", mode="before")
    @classmethod
    def _ratio(cls, v: Any) -> Decimal:
        ratio = _decimal(v, "ratio")
        if ratio <= 0:
            raise ValueError(f'ratio {v!r} must be positive ("1" means 1:1)')
        return ratio


class EqualRule(_Frozen):
    kind: Literal["equal"]
    figure: str


Rule = Annotated[
    FixedRule | UpToRule | AtLeastRule | RatioRule | MatchRule | EqualRule,
    Field(discriminator="kind"),
]
FIGURE_RULES = (RatioRule, MatchRule, EqualRule)


# --- catalogue parts ---------------------------------------------------------------------------


def _expand(pattern: str) -> str:
    """A cue with its {lexicon class} references expanded (corpus/lexicon.yaml)."""
    from calculators.grammar import lexicon

    return lexicon().expand(pattern)


def _valid_regexes(patterns: tuple[str, ...], what: str) -> tuple[str, ...]:
    """`patterns` unchanged if each compiles; else the ValueError that names the bad one."""
    for pattern in patterns:
        try:
            re.compile(_expand(pattern))
        except re.error as exc:
            raise ValueError(f"{what} {pattern!r} is not a valid regex: {exc}") from None
    return patterns


class Figure(_Frozen):
    """A number the user can tell us (integer yuan), needed by ratio/match/equal rules."""

    key: str = ""
    label: str
    ask: str
    cues: tuple[str, ...] = ()  # plain words, not regexes
    # regexes for cues that are not one fixed phrase ("研发…花了"); may use {lexicon classes}
    cue_regex: tuple[str, ...] = ()
    multiple: bool = False  # a per-item list (several deals)
    # several amounts of a single figure in one message, with nothing saying they are separate
    # items or a correction: "sum" adds them (parts of one year's spending), "last" keeps the last
    several: Literal["sum", "last"] = "last"
    # amounts labelled by year: "last_year" keeps last year's (上年度的数), "items" makes each year
    # its own benefit (每年的投入), "sum" adds them (一个项目分年到位的拨款); "last" keeps the last one
    by_year: Literal["last", "last_year", "items", "sum"] = "last"
    # regexes: an amount whose clause matches one is not this figure ("为关联单位服务的收入400万")
    exclude: tuple[str, ...] = ()
    # regexes: the part of a total that is this figure, said after 其中 ("服务总收入1500万，其中给
    # 非关联单位…的收入620万"): that part is the figure, not the total
    qualify: tuple[str, ...] = ()
    # another body's money that the policy only matches or follows (国拨, 自治区后补助, 奖金, 旗区投入):
    # its own amount or rate is that body's matter
    paid_by_another: bool = False

    @field_validator("exclude", "cue_regex", "qualify")
    @classmethod
    def _exclude_compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        return _valid_regexes(patterns, "exclude / cue_regex")

    @cached_property
    def exclude_patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(_expand(p)) for p in self.exclude)

    @cached_property
    def qualify_patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(_expand(p), re.I) for p in self.qualify)

    @cached_property
    def cue_patterns(self) -> tuple[re.Pattern[str], ...]:
        """The cues as case-insensitive patterns (compiled once, not per message)."""
        literal = tuple(re.compile(re.escape(c), re.I) for c in self.cues)
        return literal + tuple(re.compile(_expand(c), re.I) for c in self.cue_regex)


_LEADING_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")


class Trigger(_Frozen):
    """A recognition or event that makes entries apply (新认定国家高新技术企业 …)."""

    id: str = ""
    label: str
    object: str
    level: Level
    cues: tuple[str, ...]  # regexes, searched in normalized simplified text
    recipients: tuple[str, ...]
    # triggers this one rules out when both are named: who facilitated a deal is not its buyer
    # (促成技术交易 supersedes 企业引进技术: "帮本地企业牵线从外面买技术" is the broker's case)
    supersedes: tuple[str, ...] = ()
    # the levels of government whose recognition counts, for a thing listed without a level
    # (科学技术奖: "国家、自治区科学技术奖"); a thing with a level is recognised at that level
    issued_by: tuple[Level, ...] = ()
    # a thing that is by definition in another place (人才科创飞地 in 上海, 深圳): a place named
    # with it says where it is, not who recognised it
    located_elsewhere: bool = False
    # levels whose bodies grant this title on behalf of its own level (高企 and 科技型中小企业 are
    # recognised and entered by the region's bodies): "自治区认定的高企" is still the national one
    granted_through: tuple[Level, ...] = ()
    # cues that name the event only when the message also says who the asker is (`asker`):
    # "我们是技术转移服务机构……帮一家企业把一项成果落到了鄂尔多斯" tells both in two places
    asker: str | None = None
    asker_cues: tuple[str, ...] = ()

    @property
    def recognised_at(self) -> tuple[str, ...]:
        """The levels whose bodies' recognition this trigger stands for (empty: not a recognition)."""
        return self.issued_by or ((self.level,) if self.level != "none" else ())

    @field_validator("cues")
    @classmethod
    def _compiles(cls, cues: tuple[str, ...]) -> tuple[str, ...]:
        if not cues:
            raise ValueError("a trigger needs at least one cue")
        return _valid_regexes(cues, "cue")

    @field_validator("asker_cues")
    @classmethod
    def _asker_cues_compile(cls, cues: tuple[str, ...]) -> tuple[str, ...]:
        return _valid_regexes(cues, "asker cue") if cues else cues

    @model_validator(mode="after")
    def _asker_with_its_cues(self):
        if bool(self.asker) != bool(self.asker_cues):
            raise ValueError("asker and asker_cues go together")
        if self.asker:
            _valid_regexes((self.asker,), "asker")
        return self

    @cached_property
    def cue_patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(c) for c in self.expanded_cues)

    @cached_property
    def _asker_patterns(self) -> tuple[re.Pattern[str] | None, tuple[re.Pattern[str], ...]]:
        if not self.asker:
            return None, ()
        return re.compile(_expand(self.asker)), tuple(re.compile(_expand(c)) for c in self.asker_cues)

    def cues_for(self, text: str) -> tuple[re.Pattern[str], ...]:
        """The cues that can name this trigger in `text`: its cues, and its asker cues when the
        text says the asker is who they need."""
        asker, cues = self._asker_patterns
        return self.cue_patterns + (cues if asker is not None and asker.search(text) else ())

    @cached_property
    def expanded_cues(self) -> tuple[str, ...]:
        """The cues with their {lexicon class} references expanded."""
        return tuple(_expand(c) for c in self.cues)

    @cached_property
    def any_cue(self) -> re.Pattern[str]:
        """All cues in one pattern, to skip a trigger whose cues cannot match in one search."""
        scoped = (f"(?{m[1]}:{c[m.end():]})" if (m := _LEADING_FLAGS.match(c)) else f"(?:{c})"
                  for c in self.expanded_cues)
        return re.compile("|".join(scoped))

    def matches(self, text: str) -> bool:
        if self.any_cue.search(text) is not None:
            return True
        asker, cues = self._asker_patterns
        return asker is not None and asker.search(text) is not None and any(c.search(text) for c in cues)


class SourceQuote(_Frozen):
    """Where an amount comes from when it is not in the entry's own clause (Art.25 → Art.24)."""

    clause: str
    quote: str


class Entry(_Frozen):
    """One money item of the policy text."""

    id: str
    article: int = Field(ge=1, le=30)
    clause: str
    item: str
    quote: str
    trigger: str
    also_triggers: tuple[str, ...] = ()  # further triggers that make this entry apply
    level: Level
    rule: Rule
    period: Period
    duration_years: int | None = Field(default=None, ge=1)
    conditions: tuple[str, ...] = ()
    note: str = ""
    amount_source: SourceQuote | None = None
    # paid to each recognised thing named, not once (5.2: every carrier has its own operating
    # subsidy): a national incubator and a regional makerspace are two benefits
    each_trigger: bool = False

    @model_validator(mode="after")
    def _shape(self) -> Entry:
        if not _ID_RE.match(self.id):
            raise ValueError(f"id {self.id!r} must be snake_case")
        m = _CLAUSE_RE.match(self.clause)
        if not m or int(m.group(1)) != self.article:
            raise ValueError(f'clause {self.clause!r} must look like "{self.article}.n"')
        if not self.quote.strip():
            raise ValueError("quote is empty")
        return self

    @property
    def figure(self) -> str | None:
        """The figure key this entry's rule needs, if any."""
        return getattr(self.rule, "figure", None)

    @property
    def clause_n(self) -> int:
        return int(self.clause.partition(".")[2])

    @property
    def all_triggers(self) -> tuple[str, ...]:
        return (self.trigger, *self.also_triggers)


class TextFigure(_Frozen):
    """A number in the text that is not a grant (a threshold, a share) or support with no amount."""

    article: int = Field(ge=1, le=30)
    clause: str
    quote: str
    why: str


class Catalogue(_Frozen):
    org_types: dict[str, str]
    org_type_words: dict[str, tuple[str, ...]] = Field(default_factory=dict)  # how users name them, in match order
    figures: dict[str, Figure]
    triggers: dict[str, Trigger]
    entries: tuple[Entry, ...]
    non_grant_figures: tuple[TextFigure, ...] = ()
    unquantified_support: tuple[TextFigure, ...] = ()
    departments: dict[int, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _keys_into_items(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = dict(data)
            for section, key_field in (("figures", "key"), ("triggers", "id")):
                items = data.get(section)
                if isinstance(items, Mapping):
                    data[section] = {
                        k: ({key_field: k, **v} if isinstance(v, Mapping) else v) for k, v in items.items()
                    }
        return data

    @model_validator(mode="after")
    def _references(self) -> Catalogue:
        problems: list[str] = []
        if list(self.org_types) != list(ORG_TYPES):
            problems.append(f"org_types must be exactly, in order: {', '.join(ORG_TYPES)}")
        for key in self.org_type_words:
            if key not in self.org_types:
                problems.append(f"org_type_words: unknown org type {key!r}")
        for key in self.figures:
            if not _ID_RE.match(key):
                problems.append(f"figure key {key!r} must be snake_case")
        for tid, trig in self.triggers.items():
            if not _ID_RE.match(tid):
                problems.append(f"trigger id {tid!r} must be snake_case")
            for r in trig.recipients:
                if r not in self.org_types:
                    problems.append(f"trigger {tid}: unknown recipient {r!r}")
            for other in trig.supersedes:
                if other not in self.triggers or other == tid:
                    problems.append(f"trigger {tid}: supersedes unknown trigger {other!r}")
        seen: set[str] = set()
        used_triggers: set[str] = set()
        for e in self.entries:
            where = f"entry {e.id}"
            if e.id in seen:
                problems.append(f"{where}: duplicate id")
            seen.add(e.id)
            for t in e.all_triggers:
                if t not in self.triggers:
                    problems.append(f"{where}: unknown trigger {t!r} (define it under triggers:)")
                used_triggers.add(t)
            if e.trigger in self.triggers and self.triggers[e.trigger].level != e.level:
                problems.append(
                    f"{where}: level {e.level!r} differs from its trigger's level {self.triggers[e.trigger].level!r}"
                )
            rule = e.rule
            if isinstance(rule, FIGURE_RULES):
                fig = self.figures.get(rule.figure)
                if fig is None:
                    problems.append(f"{where}: unknown figure {rule.figure!r} (define it under figures:)")
                elif isinstance(rule, RatioRule):
                    if fig.multiple and rule.cap_yuan is not None:
                        problems.append(
                            f"{where}: per-item figure {fig.key}: use item_cap_yuan / yearly_cap_yuan"
                        )
                    if not fig.multiple and (rule.item_cap_yuan or rule.yearly_cap_yuan):
                        problems.append(f"{where}: item_cap_yuan / yearly_cap_yuan need a multiple figure")
                elif fig.multiple:
                    problems.append(f"{where}: {rule.kind} rules take a single figure, {fig.key} is multiple")
            if e.amount_source and not _CLAUSE_RE.match(e.amount_source.clause):
                problems.append(f'{where}: amount_source.clause {e.amount_source.clause!r} is not "n.m"')
        unused = [t for t in self.triggers if t not in used_triggers]
        if unused:
            problems.append(f"triggers used by no entry: {', '.join(unused)}")
        order = [(e.article, e.clause_n) for e in self.entries]
        if order != sorted(order):
            problems.append("entries must be listed in article/clause order")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # --- look-ups ---

    def entry(self, entry_id: str) -> Entry:
        for e in self.entries:
            if e.id == entry_id:
                return e
        raise KeyError(entry_id)

    @cached_property
    def _entries_by_trigger(self) -> dict[str, tuple[Entry, ...]]:
        by_trigger: dict[str, list[Entry]] = {}
        for e in self.entries:
            for t in e.all_triggers:
                by_trigger.setdefault(t, []).append(e)
        return {t: tuple(es) for t, es in by_trigger.items()}

    def entries_for_trigger(self, trigger_id: str) -> list[Entry]:
        return list(self._entries_by_trigger.get(trigger_id, ()))

    def figures_for(self, trigger_ids) -> list[str]:
        """Figure keys the entries of these triggers need, first need first, no repeats."""
        keys: list[str] = []
        for tid in trigger_ids:
            for e in self.entries_for_trigger(tid):
                if e.figure and e.figure not in keys:
                    keys.append(e.figure)
        return keys

    @cached_property
    def objects(self) -> dict[str, list[str]]:
        """Each thing (a trigger's object) and its trigger ids, catalogue order (read per message)."""
        out: dict[str, list[str]] = {}
        for tid, trigger in self.triggers.items():
            out.setdefault(trigger.object, []).append(tid)
        return out

    def levels_of(self, obj: str) -> set[str]:
        """The levels a thing (a trigger's object: 众创空间, 科技领军企业) is paid at."""
        return {t.level for t in self.triggers.values() if t.object == obj}

    def recognised_levels(self, obj: str) -> set[str] | None:
        """The levels whose recognition of a thing the policy pays (科学技术奖: 国家、自治区), or None
        for a thing without levels (研发投入): no level can be unpaid for it."""
        things = [t for t in self.triggers.values() if t.object == obj]
        if any(not t.recognised_at for t in things):
            return None
        return {lv for t in things for lv in t.recognised_at}

    def entries_for_clause(self, clause_id: str) -> list[Entry]:
        return [e for e in self.entries if e.clause == clause_id]

    def entries_for_article(self, article: int) -> list[Entry]:
        return [e for e in self.entries if e.article == article]

    def triggers_for_org(self, org_type: str | None) -> list[Trigger]:
        """Triggers open to an org type (all of them when org_type is None)."""
        if org_type is not None and org_type not in self.org_types:
            raise KeyError(org_type)
        return [t for t in self.triggers.values() if org_type is None or org_type in t.recipients]

    def figure(self, key: str) -> Figure:
        return self.figures[key]

    def match_triggers(self, text: str) -> list[str]:
        """Trigger ids whose cues occur in `text` (normalized simplified Chinese), catalogue order.

        A plain cue test: the dialogue layer resolves levels and overlaps itself."""
        return [tid for tid, t in self.triggers.items() if t.matches(text)]


def _readable_loc(loc: tuple[Any, ...], raw: Mapping[str, Any]) -> str:
    parts: list[str] = []
    entries = raw.get("entries") if isinstance(raw, Mapping) else None
    for i, p in enumerate(loc):
        if i > 0 and loc[i - 1] == "entries" and isinstance(p, int) and isinstance(entries, list):
            entry = entries[p] if p < len(entries) else None
            parts.append(f"[{entry.get('id', p) if isinstance(entry, Mapping) else p}]")
        else:
            parts.append(f".{p}" if parts else str(p))
    return "".join(parts)


def parse_catalogue(raw: Any, source: str = "benefits.yaml") -> Catalogue:
    """Validate already-parsed YAML data; raise CatalogueError with every problem found."""
    if not isinstance(raw, Mapping):
        raise CatalogueError(
            f"{source}: top level must be a mapping with org_types, figures, triggers, entries"
        )
    try:
        return Catalogue.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{_readable_loc(err['loc'], raw)}: {err['msg']}" for err in exc.errors()]
        raise CatalogueError(f"{source} is invalid:\n  " + "\n  ".join(lines)) from None


@cache
def _load(path: Path) -> Catalogue:
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(f"cannot read the benefit catalogue {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path} is not valid YAML: {exc}") from None
    return parse_catalogue(raw, str(path))


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load and validate the catalogue (cached per path). Default: corpus/benefits.yaml."""
    return _load(Path(path).resolve() if path else DEFAULT_PATH)
