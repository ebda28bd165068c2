"""Recognitions and events named in a message (the catalogue's triggers), with their levels.

    detected = detect_triggers(text, catalogue)     # Detected(triggers=[...], ambiguous={...})

A cue inside a longer cue of another thing names the longer thing (旗区…新型研发机构); a mention
right after a negation is dropped (nlu.levels.negated_before); a thing the catalogue has at
several levels takes the level bound to each mention (nlu.levels), and is left `ambiguous`
(asked with buttons) when no level is bound to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.dialogue.nlu import issuers, levels, moves
from calculators.catalogue import Catalogue
from calculators.grammar import lexicon

_LEX = lexicon()
SAID_MAX = 10  # a mention longer than this spans other words: the reply names the thing instead


@dataclass(frozen=True)
class TriggerMatch:
    trigger: str
    start: int
    end: int


@dataclass(frozen=True)
class Unpaid:
    level: str  # the level said ("foreign": issued by a body the policy does not mean)
    said: str  # the thing as written ("科技领军企业")
    triggers: tuple[str, ...]  # the items the words name, paid at other levels
    issuer: str | None = None  # that body as written ("陕西省", "中国煤炭工业协会")


@dataclass
class Detected:
    """Recognitions found in one message."""

    triggers: list[str] = field(default_factory=list)  # resolved trigger ids, text order
    # Families named without a level, where the catalogue has several: object -> trigger ids
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # trigger -> cue matches
    # Things named only at a level the policy does not pay them at ("市级众创空间", "国家级的科技领军
    # 企业", "自治区级引才引智示范基地"): object -> Unpaid. They are not recognitions of this policy.
    unpaid: dict[str, Unpaid] = field(default_factory=dict)
    # triggers ruled out by a named one (a broker's deal rules out the buyer's purchase), named or not
    superseded: list[str] = field(default_factory=list)
    # mentions at an unpaid level beside paid mentions of the same thing ("得了市科技进步奖…听说
    # 自治区和国家的科技奖会等额奖励"): (start, end, object); their amounts are not the paid one's
    unpaid_spans: list[tuple[int, int, str]] = field(default_factory=list)
    # how many of a recognition the asker has, when said ("两个自治区重点实验室"): trigger -> count
    counts: dict[str, int] = field(default_factory=dict)

    def all_ids(self) -> list[str]:
        return self.triggers + [t for family in self.ambiguous.values() for t in family]

    def drop(self, trigger: str) -> None:
        if trigger in self.triggers:
            self.triggers.remove(trigger)
        for obj in list(self.ambiguous):
            if trigger in self.ambiguous[obj]:
                del self.ambiguous[obj]

    def for_org(self, catalogue: Catalogue, org_type: str | None) -> list[str]:
        """The resolved triggers open to this organisation type (all of them if none is)."""
        if not org_type:
            return list(self.triggers)
        kept = [t for t in self.triggers
                if not catalogue.triggers[t].recipients or org_type in catalogue.triggers[t].recipients]
        return kept or list(self.triggers)


def _matches(text: str, catalogue: Catalogue) -> list[TriggerMatch]:
    found = []
    for tid, trigger in catalogue.triggers.items():
        if not trigger.matches(text):
            continue
        for cue in trigger.cues_for(text):
            found.extend(TriggerMatch(tid, m.start(), m.end()) for m in cue.finditer(text))
    return found


def _outermost(matches: list[TriggerMatch], catalogue: Catalogue) -> list[TriggerMatch]:
    """A cue inside a longer cue of another thing names the longer thing."""
    def inside(m: TriggerMatch, o: TriggerMatch) -> bool:
        return (o.trigger != m.trigger and o.start <= m.start and m.end <= o.end
                and (o.end - o.start) > (m.end - m.start)
                and catalogue.triggers[o.trigger].object != catalogue.triggers[m.trigger].object)

    return [m for m in matches if not any(inside(m, o) for o in matches)]


def _bound_levels(text: str, ms: list[TriggerMatch], others: list[TriggerMatch]) -> list[set[str]]:
    """The level(s) bound to each mention of one many-level thing (see nlu.levels), and the
    fall-back for mentions with none: a single level among the words no mention claimed."""
    bound: list[set[str]] = []
    claimed: set[int] = set()
    for m in ms:
        chain = levels.level_chain(text, m.start)
        if chain:
            bound.append(chain)
            continue
        before = levels.level_before(text, m.start, m.end)
        after = levels.level_after(text, m.end)
        if before:
            bound.append({before[0]})
            claimed.add(before[1])
        elif after:
            bound.append({after[0]})
            claimed.add(after[1])
        else:
            bound.append(set())
    # level words bound to other things' mentions ("国家级孵化器…众创空间") are not free either
    for o in others:
        before = levels.level_before(text, o.start, o.end)
        if before:
            claimed.add(before[1])
    free = {level for start, _end, level in levels.level_words(text) if start not in claimed}
    if len(free) == 1:
        bound = [b or set(free) for b in bound]
    return bound


def _sentence(text: str, start: int, end: int) -> str:
    before = max(text.rfind(c, 0, start) for c in "。！？!?\n")
    after = [i for i in (text.find(c, end) for c in "。！？!?\n") if i >= 0]
    return text[before + 1:min(after) if after else len(text)]


def _as_new_approval(text: str, m: TriggerMatch, catalogue: Catalogue) -> TriggerMatch:
    """A thing applied for and asked about once approved ("申报了中试公共服务平台，要是批了给多少")
    is its newly approved item (the catalogue's `<id>_new` sibling of the same thing), not the
    running subsidy of one already approved; so is one approved just now ("刚拿到自治区的批复")."""
    trigger = catalogue.triggers[m.trigger]
    siblings = [t for t, x in catalogue.triggers.items()
                if t != m.trigger and t.endswith("_new") and x.object == trigger.object]
    sentence = _sentence(text, m.start, m.end)
    if m.trigger.endswith("_new") or len(siblings) != 1 or not (
            _LEX.search("approval_pending", sentence) or _LEX.search("just_approved", sentence)):
        return m
    return TriggerMatch(siblings[0], m.start, m.end)


def detect_triggers(text: str, catalogue: Catalogue, org_type: str | None = None) -> Detected:
    kept = _outermost(_matches(text, catalogue), catalogue)
    # "我们不是新型研发机构" states what the asker is not; "园区里有国家高企23家" counts others:
    # neither mention names the asker's recognition.
    # "是不是也跟自治区重点实验室一样有200万": a thing named to compare with is not the asker's either;
    # "研发机构没有，首台套啥的都不是": denied after the name
    negated = [m for m in kept if levels.negated_before(text, m.start) or _LEX.search("counted_after", text[m.end:])
               or _compared(text, m) or _LEX.search("negated_after", text[m.end:])]
    kept = [m for m in kept if not any(n.start <= m.start and m.end <= n.end for n in negated)]
    kept.sort(key=lambda m: (m.start, m.end))
    kept = [_as_new_approval(text, m, catalogue) for m in kept]
    detected = Detected()
    for m in kept:
        detected.spans.setdefault(m.trigger, []).append((m.start, m.end))
    by_object: dict[str, list[TriggerMatch]] = {}
    for m in kept:
        by_object.setdefault(catalogue.triggers[m.trigger].object, []).append(m)
    for obj, ms in _named_without_a_kind(text, catalogue, set(by_object), negated).items():
        level = _unpaid_level(text, ms, catalogue)  # a kind named only to say its level: unpaid or nothing
        if level:
            detected.unpaid[obj] = Unpaid(level, obj, tuple(dict.fromkeys(m.trigger for m in ms)))
    for obj, ms in list(by_object.items()):
        named = tuple(dict.fromkeys(m.trigger for m in ms))
        issuer = _foreign_issuer(text, ms, catalogue)
        level = "foreign" if issuer else _unpaid_level(text, ms, catalogue)
        if level:
            detected.unpaid[obj] = Unpaid(level, _said(text, ms[0], obj), named, issuer)
            del by_object[obj]
        else:
            detected.unpaid_spans += _unpaid_mentions(text, ms, catalogue)
    for obj, ms in by_object.items():
        family = list(dict.fromkeys(m.trigger for m in ms))
        family_levels = {catalogue.triggers[t].level for t in family}
        if len(family) == 1:
            _add(detected.triggers, family[0])
            continue
        if len(family_levels) == 1:  # same level, different things (孵化类/研发类 飞地)
            for t in family:
                _add(detected.triggers, t)
            continue
        # Several levels of one thing: each mention takes the level bound to it.
        spans = {(m.start, m.end) for m in ms}
        others = [o for o in kept if (o.start, o.end) not in spans]
        distinct = list({(m.start, m.end): m for m in ms}.values())
        chosen: list[str] = []
        bound_spans: dict[str, list[tuple[int, int]]] = {}
        for m, bound in zip(distinct, _bound_levels(text, distinct, others), strict=True):
            for t in family:
                if catalogue.triggers[t].level in bound:
                    bound_spans.setdefault(t, []).append((m.start, m.end))
                    if t not in chosen:
                        chosen.append(t)
        for t in chosen:  # each level's trigger is where its own level was said
            detected.spans[t] = bound_spans[t]
        if chosen:
            for t in chosen:
                _add(detected.triggers, t)
        else:
            detected.ambiguous[obj] = family
    detected.superseded = list(dict.fromkeys(x for t in detected.triggers for x in catalogue.triggers[t].supersedes))
    for t in set(detected.superseded) & set(detected.all_ids()):
        detected.drop(t)
        detected.spans.pop(t, None)
    for t in detected.triggers:
        n = max((_count_at(text, s, e) for s, e in detected.spans.get(t, [])), default=1)
        if n > 1:
            detected.counts[t] = n
    if org_type:
        detected.triggers = detected.for_org(catalogue, org_type)
    return detected


def _named_as_itself(text: str, catalogue: Catalogue, obj: str, negated=()) -> list[TriggerMatch]:
    """The thing's own name (人才科创飞地, 创新创业大赛) where it stands in the text, not denied: a
    mention per occurrence, as of each of its items."""
    out = []
    name = obj.split("（")[0]  # "技术转移服务机构（认定）": the name without the catalogue's note
    start = text.find(name)
    while start >= 0:
        end = start + len(name)
        if not any(n.start <= start and end <= n.end for n in negated) and not levels.negated_before(text, start):
            out += [TriggerMatch(t, start, end) for t in catalogue.objects[obj]]
        start = text.find(name, end)
    return out


def _named_without_a_kind(text: str, catalogue: Catalogue, seen: set[str], negated) -> dict[str, list[TriggerMatch]]:
    """Things named by their own name but matched by no cue, because the cues need the kind
    (孵化类/研发类 人才科创飞地): object -> its mentions."""
    found = {obj: _named_as_itself(text, catalogue, obj, negated) for obj in catalogue.objects if obj not in seen}
    return {obj: ms for obj, ms in found.items() if ms}


def _count_at(text: str, start: int, end: int) -> int:
    """How many of the thing mentioned at text[start:end] the message says there are."""
    m = (_LEX.search("counted_before", text[max(0, start - levels.LEVEL_WINDOW_CJK - 4):start])
         or _LEX.search("counted_total_after", text[end:]))
    if not m:
        return 1
    return moves.count_of(next((g for g in m.groups() if g), "")) or 1


def _bound_level(text: str, m: TriggerMatch, catalogue: Catalogue) -> str | None:
    """The level bound to one mention, before it in its clause or right after it, when it is
    spelled out with 级 (国家级, 自治区级, 区级, 市级), or is a level the thing has elsewhere in the
    catalogue ("首版次软件拿到了自治区的认定": the region pays 首台套/首批次 only). "自治区认定的
    高企" names who recognised it, not a level the policy lacks."""
    obj = catalogue.triggers[m.trigger].object
    levels_of_thing = catalogue.recognised_levels(obj) or set()
    granted_through = {lv for t in catalogue.objects[obj] for lv in catalogue.triggers[t].granted_through}
    for found in (levels.level_before(text, m.start, m.end), levels.level_after(text, m.end)):
        if not found:
            continue
        # another government as the issuer of a thing the policy pays at other levels only ("自治区科技厅
        # 主办的创新创业大赛", "被自治区认定为引才引智示范基地"), unless its bodies grant that title (高企)
        if found[0] not in levels_of_thing and found[0] not in granted_through and _LEX.search(
                "issued_by_level", text[found[1]:m.start]):
            return found[0]
        if found[0] in levels_of_thing or any(
                w.start() == found[1] for w in _LEX.finditer(f"level_explicit.{found[0]}", text)):
            return found[0]
        # the level word as part of the thing's name: "国家工程研究中心", "自治区产业创新中心"
        adjacent = _LEX.search("level_in_name", text, found[1])
        if adjacent and adjacent.start() == found[1] and adjacent.end() == m.start:
            return found[0]
    # a level word inside the matched words ("评为国家技术转移示范机构"): the cue spans it
    inside = [(s, lv) for s, _e, lv in levels.level_words(text[m.start:m.end])]
    if len({lv for _s, lv in inside}) == 1:
        return inside[0][1]
    return None


def _said(text: str, m: TriggerMatch, obj: str) -> str:
    """The mention, completed by the rest of the thing's name where the text goes on with it
    ("科技领军" + "企业")."""
    said = text[m.start:m.end]
    if len(said) > SAID_MAX:  # a cue with words between ("创业大赛我们拿了一等奖"): the thing's name
        return obj
    at = obj.find(said)
    if at < 0:
        return said
    end = m.end
    while end < len(text) and at + len(said) < len(obj) and text[end] == obj[at + len(said)]:
        said += text[end]
        end += 1
    if said == obj[at:at + len(said)] and (rest := _LEX.search("name_goes_on", text[end:])):
        said += rest.group(0)  # "首批次" + "关键零部件": the rest of the name as written
    return said


def _unpaid_level(text: str, ms: list[TriggerMatch], catalogue: Catalogue) -> str | None:
    """The one level every mention of a thing is bound to, when none of the items whose cues
    the mentions match is paid at that level (a thing without levels, ``level: none``, never is)."""
    levels_of_thing = catalogue.recognised_levels(catalogue.triggers[ms[0].trigger].object)
    if levels_of_thing is None:  # a thing without levels (研发投入) never is
        return None
    paid = {lv for m in ms for lv in catalogue.triggers[m.trigger].recognised_at}
    # mentions without a level of their own ("那个众创空间…认定为市级众创空间") take the one said
    bound = {_bound_level(text, m, catalogue) for m in _single_names(text, ms)} - {None}
    if len(bound) == 1 and (level := next(iter(bound))) not in paid:
        return level
    return None


def _single_names(text: str, ms: list[TriggerMatch]) -> list[TriggerMatch]:
    """The mentions that are one name: a cue matched across a clause ("创新创业大赛，还有鄂尔多斯杯拿
    了二等奖", "飞地，是旗里认定的人才科创飞地，能享受孵化类") spans other words, whose levels and
    issuers are not its own."""
    return [m for m in ms if not _LEX.search("clause_break", text[m.start:m.end])]


def _foreign_issuer(text: str, ms: list[TriggerMatch], catalogue: Catalogue) -> str | None:
    """The body every mention of a recognised thing was issued by, when the policy does not mean
    it (nlu/issuers.py). Another province counts only for things the region or the city
    recognises: "广东认定的高企" is still a national 高企."""
    triggers = [catalogue.triggers[m.trigger] for m in ms]
    recognised = catalogue.recognised_levels(triggers[0].object)
    if not recognised:
        return None
    places = bool(recognised & {"region", "city"}) and not any(t.located_elsewhere for t in triggers)
    names = _single_names(text, ms) + _named_as_itself(text, catalogue, triggers[0].object)
    found = {issuers.foreign_issuer(text, m.start, m.end, places=places) for m in names}
    foreign = found - {None}
    if len(foreign) != 1:
        return None
    # one body named; mentions without an issuer are that thing again, unless one is bound to a paid level
    if None in found and any(_bound_level(text, m, catalogue) in recognised for m in names):
        return None
    return next(iter(foreign))


def _unpaid_mentions(text: str, ms: list[TriggerMatch], catalogue: Catalogue) -> list[tuple[int, int, str]]:
    """The mentions of a thing bound to a level it is not paid at, when others of its mentions are."""
    obj = catalogue.triggers[ms[0].trigger].object
    levels_of_thing = catalogue.recognised_levels(obj)
    if len(ms) < 2 or levels_of_thing is None:
        return []
    paid = {lv for m in ms for lv in catalogue.triggers[m.trigger].recognised_at}
    out = []
    for m in ms:
        level = _bound_level(text, m, catalogue)
        if level is not None and level not in paid:
            out.append((m.start, m.end, obj))
    return list(dict.fromkeys(out))


def _compared(text: str, m: TriggerMatch) -> bool:
    before = _LEX.search("compared_before", text[max(0, m.start - levels.LEVEL_WINDOW_CJK):m.start])
    return bool(before and _LEX.search("compared_after", text[m.end:]))


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _inside_figure_words(spans: list[tuple[int, int]], text: str, catalogue: Catalogue, keys) -> bool:
    figure_spans = [(m.start(), m.end()) for key in keys for cue in catalogue.figures[key].cue_patterns
                    for m in cue.finditer(text)]
    return bool(spans) and all(
        any(fs <= s and e <= fe or (s <= fs and fe <= e) for fs, fe in figure_spans) for s, e in spans
    )


def said_as_figure(spans: list[tuple[int, int]], text: str, catalogue: Catalogue) -> bool:
    """Whether these mentions are all inside the cue words of some figure (研发投入 in 科研投入2800万)."""
    return _inside_figure_words(spans, text, catalogue, list(catalogue.figures))


def only_figure_words(detected: Detected, text: str, catalogue: Catalogue, keys: list[str]) -> bool:
    """Every recognition found is just the name of one of these figures ('研发投入是1200万')."""
    return all(_inside_figure_words(detected.spans.get(t, []), text, catalogue, keys) for t in detected.all_ids())


def drop_other_orgs_figures(detected: Detected, text: str, catalogue: Catalogue, org_type: str | None) -> None:
    """"我是某旗科技局的…全社会研发投入12亿": a recognition seen only in a figure's words, of a kind
    the asker (said in the same message), a banner government, cannot receive, is that
    figure said about others (the recognition's own figures excepted: 旗里…投了300万)."""
    if org_type not in GOVERNMENT_ASKERS:
        return
    for tid in list(detected.all_ids()):
        others = [k for k in catalogue.figures if k not in catalogue.figures_for([tid])]
        if org_type not in catalogue.triggers[tid].recipients and _inside_figure_words(
                detected.spans.get(tid, []), text, catalogue, others):
            detected.drop(tid)


# askers that speak of a whole area's figures (全社会研发投入): a banner government. Not schools or
# institutes: org_type_of also finds one named in passing (从外地一家研究所引进), who is not the asker
GOVERNMENT_ASKERS = ("banner",)


def drop_figure_mentions(detected: Detected, text: str, catalogue: Catalogue, told_figures=()) -> None:
    """'新型研发机构，上年度研发投入2000万' names a figure of Art.17, not the recognition of
    Art.16 whose cue is also 研发投入: a trigger seen only inside the cue words of a figure that
    another detected trigger needs is dropped. `told_figures`: the figures of the things told
    before that this message gives ("如果研发投入是800万呢" after the new R&D institution)."""
    needs = {x: catalogue.figures_for([x]) for x in detected.all_ids()}
    for tid in list(detected.all_ids()):
        other_figures = {k for o in detected.all_ids() if o != tid for k in needs.get(o, [])}
        other_figures |= set(told_figures) - set(needs.get(tid, []))
        if other_figures and _inside_figure_words(detected.spans.get(tid, []), text, catalogue, other_figures):
            detected.drop(tid)
