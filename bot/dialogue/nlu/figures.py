"""Figures in a message: each money amount gets a role from its own cue words, or none.

    reading = read_figures(text, catalogue, wanted=["rd_investment_last_year"])
    reading.values          {"rd_investment_last_year": (12000000,)}
    reading.words           {"rd_investment_last_year": "上年度研发投入1200万元"}   (for the formula)

A role is a catalogue figure (研发投入, 成交额, 拨款, 奖金…) or OTHER_ROLE: money the policy never
computes with (营收, 产值, 注册资本, 税, 地价… the lexicon's ``other_money_role``). The nearest cue
decides (before the amount in its sentence, or right after it in its clause; a cue with another
amount in between belongs to that amount). An amount without any cue has no role: it is asked
about, never put into a formula (BAD_INPUTS 31).

Several amounts of one figure:
- a per-item figure (benefits.yaml ``multiple``: several deals) keeps them all;
- any other figure keeps them all as separate items when the message says so ("分别为A和B",
  "两个项目…600万和900万", "三个项目每个X" -> X three times); else the last one counts (a
  correction inside the message: "1000万，不对，1200万");
- "其中Y是关联单位的" after a figure whose clause excludes that part (``exclude``) is deducted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.dialogue.nlu.levels import negated_before
from bot.dialogue.nlu.moves import CJK, ENGLISH_COUNTS, clause_around, cn_or_int
from calculators.catalogue import Catalogue
from calculators.grammar import lexicon
from calculators.money import AmountError, MoneyMention, parse_amount, scan_money

OTHER_ROLE = "other"
AMOUNT_DESCRIBED_WINDOW = 6  # characters after an amount read for "是合同总额" (the amount described)
# How far a cue may stand from its amount: before it, within the sentence; after it, within the
# clause and closer (a cue before the number is the usual order, so one after pays a penalty).
CUE_BEFORE_MAX = 20
CUE_AFTER_MAX = 14
CUE_BEFORE_MAX_LATIN = 90  # English words are longer: "the unit price of our first-set equipment is"
CUE_AFTER_PENALTY = 8
# Amounts after the same two characters ("服务400万元，…服务50万元") are items of one list.
PARALLEL_CONTEXT = 2
# A year label ("去年", "前年") stands this close before its amount.
YEAR_LABEL_WINDOW = 12
# An amount continuing a list stands at most this far after the one before it.
LIST_GAP_MAX = 12
# An item label ("B项目", "第二笔") right before an amount carries the list on across sentences.
ITEM_LABEL_WINDOW = 10
# A cue of a figure the recognised items do not need loses to a wanted one this much closer.
UNWANTED_PENALTY = 30
# A cue right against its amount ("合同总额450万") is its cue, wanted or not.
ADJACENT = 2
# A denial right before an amount ("不是420万", "not 4.2 million") stands this close to it.
DENIED_WINDOW = 12
# "N个项目每个X": N is believed between these bounds.
EACH_COUNT_MAX = 50

_LEX = lexicon()


@dataclass(frozen=True)
class FigureMention:
    mention: MoneyMention
    role: str | None  # a figure key, OTHER_ROLE, or None (no cue)
    cue: tuple[int, int] | None = None  # where its cue words are
    deducted: bool = False  # the excluded part of the figure before it ("其中300万是关联单位的")
    own_share: bool = False  # the asker's own part of the figure before it ("其中600万拨到我们单位")
    told_ref: bool = False  # a total told in an earlier turn, said again ("这65万里面…"): no new value

    @property
    def value(self) -> int | None:
        return self.mention.value_yuan


@dataclass
class FigureReading:
    mentions: list[FigureMention] = field(default_factory=list)
    values: dict[str, tuple[int, ...]] = field(default_factory=dict)  # figure -> value(s), text order
    words: dict[str, str] = field(default_factory=dict)  # figure -> the words it was read from
    itemised: set[str] = field(default_factory=set)  # figures given as several items
    deductions: dict[str, tuple[int, tuple[int, ...]]] = field(default_factory=dict)  # figure -> (total, parts off)
    summed: dict[str, tuple[int, ...]] = field(default_factory=dict)  # parts added into a figure
    told_totals: dict[str, int] = field(default_factory=dict)  # a told total a part is taken off
    parts: dict[str, tuple[int, ...]] = field(default_factory=dict)  # every amount read for a figure, in order
    approximate: list[FigureMention] = field(default_factory=list)  # with a role, 约200万
    invalid: list[FigureMention] = field(default_factory=list)  # with a role: -300万, 200-300万, 0
    unassigned: list[FigureMention] = field(default_factory=list)  # money with no cue at all
    # an amount whose nearest cue is a figure its clause rules out ("成交额900万，在榆林落地转化"):
    # figure key -> the mentions; never computed, never offered for a yes
    excluded: dict[str, list[FigureMention]] = field(default_factory=dict)
    other: list[FigureMention] = field(default_factory=list)  # 营收, 产值, 注册资本…

    @property
    def cued(self) -> dict[str, list[tuple[int, int]]]:
        """Figure -> the cue spans that got an amount."""
        out: dict[str, list[tuple[int, int]]] = {}
        for fm in self.mentions:
            if fm.role and fm.role != OTHER_ROLE and fm.cue:
                out.setdefault(fm.role, []).append(fm.cue)
        return out


def _cue_spans(text: str, catalogue: Catalogue) -> list[tuple[int, int, str]]:
    spans = [(m.start(), m.end(), key) for key, figure in catalogue.figures.items()
             for cue in figure.cue_patterns for m in cue.finditer(text)]
    policy = set((s, e) for s, e, _ in spans)
    # the catalogue's own cue wins over the same words as a non-input role ("revenue", 收入)
    spans += [(m.start(), m.end(), OTHER_ROLE) for m in _LEX.finditer("other_money_role", text)
              if (m.start(), m.end()) not in policy]
    # a cue inside a longer cue is that longer cue's word (收入 in 营业收入 is revenue)
    return [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0] for o in spans)]


_clause = clause_around  # the clause around [start, end)


def sentence_break(text: str, start: int, end: int) -> bool:
    """Whether a sentence ends between start and end."""
    return bool(_LEX.search("sentence_end", text[start:end]))


def excluded_part(text: str, mention: MoneyMention, figure) -> bool:
    """Whether `mention` is said to be the excluded part of `figure` ("关联单位那部分只有100万")."""
    return _excluded(text, mention, figure)


def _excluded(text: str, mention: MoneyMention, figure) -> bool:
    """Whether the amount's clause says it is not this figure (the figure's `exclude`); the
    clauses right before and after it count too when they have no amount of their own ("C项目
    700万元，落地在包头", "促成一项成果在包头落地转化，成交额900万")."""
    if not figure.exclude_patterns:
        return False
    clause = _clause(text, mention.start, mention.end)
    after = _LEX.search("clause_end", text, mention.end)
    if after is not None:
        following = _clause(text, after.end(), after.end())
        # "其中一个是在包头落地的" speaks of some of the items, not of this amount (see _excluded_count)
        if not scan_money(following) and not _LEX.search("of_which_count", following) and not _LEX.search(
                "other_items", following):
            clause += following
    marks = [m for m in _LEX.finditer("clause_end", text[:mention.start])]
    if marks:
        preceding = _clause(text, marks[-1].start(), marks[-1].start())
        if not scan_money(preceding):
            clause = preceding + clause
    # "（都不是关联单位）" / "非关联单位" say the opposite: not an exclusion; "卖给了准格尔旗的一家企业，…技术
    # 已经在那边落地投产了": 那边 is the place just named, here one of the city's
    there_is_home = bool(_LEX.search("home_place", clause))
    return any(not negated_before(clause, m.start()) and not (there_is_home and _LEX.search("lands_there", m.group(0)))
               for p in figure.exclude_patterns for m in p.finditer(clause))


def _nearest_cue(text, spans, mention, mentions, wanted, catalogue, *, exclude: bool = True
                 ) -> tuple[str | None, tuple | None]:
    best: tuple[int, int, str, tuple] | None = None
    for start, end, key in spans:
        if start < mention.start < end:  # a cue pattern reaching into the amount ("单台货值RM" + "B 2,300万")
            end = mention.start
        lo, hi = (end, mention.start) if end <= mention.start else (mention.end, start)
        if any(other is not mention and lo <= other.start and other.end <= hi for other in mentions):
            continue  # a cue with another amount in between belongs to that amount
        if exclude and key != OTHER_ROLE and _excluded(text, mention, catalogue.figures[key]):
            continue
        if end <= mention.start and any(other is not mention and other.end <= start
                                        and _LEX.search("cue_right_after", text[other.end:start]) for other in mentions):
            # a cue right after another amount is that one's ("单价260万一台，…卖了5台共1300万",
            # "发了45万的技术交易后补助，学校去年科研经费总额是2.6亿")
            continue
        if end <= mention.start:
            gap = text[end:mention.start]
            distance = len(gap)
            limit = CUE_BEFORE_MAX if CJK.search(gap) or not gap.strip() else CUE_BEFORE_MAX_LATIN
            if distance > limit or _LEX.search("sentence_end", gap):
                continue
        elif start >= mention.end:
            gap = text[mention.end:start]
            distance = len(gap) + CUE_AFTER_PENALTY
            if distance > CUE_AFTER_MAX or _LEX.search("clause_end", gap):
                continue
        else:
            continue
        unwanted = key not in wanted and key != OTHER_ROLE and distance > ADJACENT
        score = distance + (UNWANTED_PENALTY if unwanted else 0)
        rank = (score, -(end - start))  # equally near: the longer cue
        if best is None or rank < best[:2]:
            best = (score, -(end - start), key, (start, end))
    return (best[2], best[3]) if best else (None, None)


def each_count(text: str) -> int | None:
    """"3个项目，每个成交额200万" / "每个项目200万，一共3个" / "5 deals, each 15 million": the count."""
    each = _LEX.search("each", text)
    if not each:
        return None
    counts = []  # the count nearest the each-word ("一家技术转移服务机构，…促成了5个…，每个项目…": 5)
    for m in _LEX.finditer("count", text):
        if m.group(1):
            count = cn_or_int(m.group(1))
        else:
            word = m.group(2).lower()
            count = ENGLISH_COUNTS.get(word) or (int(word) if word.isdigit() else None)
        if count and 1 < count <= EACH_COUNT_MAX:
            counts.append((abs(m.start() - each.start()), count))
    return min(counts)[1] if counts else None


def _stated_count(text: str) -> int | None:
    m = _LEX.search("count", text)
    if not m:
        return None
    token = m.group(1) or m.group(2) or ""
    return cn_or_int(token) or ENGLISH_COUNTS.get(token.lower())


def read_figures(text: str, catalogue: Catalogue, wanted: list[str],
                 told: dict[str, int] | None = None) -> FigureReading:
    """Every money mention of `text` with its role; the values of each figure (see module doc).
    `told`: the single amounts told earlier in the session, by figure (a total before its deduction),
    so that an amount said again without its cue ("这65万里面有20万是…") is that figure's."""
    reading = FigureReading()
    told = told or {}
    mentions = scan_money(text)
    spans = _cue_spans(text, catalogue)
    roles: list[FigureMention] = []
    for mention in mentions:
        if _LEX.search("amount_denied", text[max(0, mention.start - DENIED_WINDOW):mention.start]):
            roles.append(FigureMention(mention, OTHER_ROLE))  # "是1200万，不是420万": not the figure
            continue
        key, span = _nearest_cue(text, spans, mention, mentions, wanted, catalogue)
        same = [k for k, v in told.items() if mention.value_yuan is not None and v == mention.value_yuan]
        if key is None and len(same) == 1:  # the told amount named again: a reference, not a new input
            roles.append(FigureMention(mention, same[0], None, told_ref=True))
            reading.told_totals[same[0]] = mention.value_yuan
            continue
        roles.append(FigureMention(mention, key, span))
    # A list continues the role of its first member ("成交额800万、900万和1000万", "分别为600万和900万",
    # "A项目成交额900万元，B项目1200万元"): an amount with no cue of its own, close after one with a
    # role, with only list words between them (the lexicon's list_join).
    for i in range(1, len(roles)):
        prev, cur = roles[i - 1], roles[i]
        gap = text[prev.mention.end:cur.mention.start]
        labelled = _LEX.search("item_label", text[max(0, cur.mention.start - ITEM_LABEL_WINDOW):cur.mention.start])
        # "为外部企业服务400万元，为创业团队服务50万元": the same words right before each amount
        parallel = (prev.mention.start >= PARALLEL_CONTEXT and cur.mention.start >= PARALLEL_CONTEXT
                    and text[prev.mention.start - PARALLEL_CONTEXT:prev.mention.start]
                    == text[cur.mention.start - PARALLEL_CONTEXT:cur.mention.start]
                    and not _LEX.search("sentence_end", gap))
        if cur.role is None and prev.role not in (None, OTHER_ROLE) and (
            len(gap) <= LIST_GAP_MAX and _LEX.regex("list_join").match(gap) or labelled or parallel
        ):
            if not _excluded(text, cur.mention, catalogue.figures[prev.role]):
                roles[i] = FigureMention(cur.mention, prev.role, prev.cue)
            else:
                roles[i] = FigureMention(cur.mention, OTHER_ROLE, None)  # the excluded part (关联公司)
    # "其中300万是关联单位的": the excluded part of the figure named just before.
    for i, fm in enumerate(roles):
        if fm.role is not None:
            continue
        clause = _clause(text, fm.mention.start, fm.mention.end)
        before = next((r for r in reversed(roles[:i]) if r.role not in (None, OTHER_ROLE)), None)
        if before is None and _LEX.search("of_which", clause):
            # "其中20万是校内课题组用的" after the total was told: the excluded part of the told figure
            key = next((k for k in told if _excluded(text, fm.mention, catalogue.figures[k])), None)
            if key is not None:
                roles[i] = FigureMention(fm.mention, key, None, deducted=True)
                reading.told_totals[key] = told[key]
            continue
        if before and _LEX.search("of_which", clause):
            qualifies = any(p.search(clause) for p in catalogue.figures[before.role].qualify_patterns)
            if _excluded(text, fm.mention, catalogue.figures[before.role]):
                roles[i] = FigureMention(fm.mention, before.role, before.cue, deducted=True)
            elif _LEX.search("own_share", clause) or qualifies:
                roles[i] = FigureMention(fm.mention, before.role, before.cue, own_share=True)
    reading.mentions = roles
    for fm in roles:
        if fm.role is None:
            key, _span = _nearest_cue(text, spans, fm.mention, mentions, wanted, catalogue, exclude=False)
            if key not in (None, OTHER_ROLE) and _excluded(text, fm.mention, catalogue.figures[key]):
                reading.excluded.setdefault(key, []).append(fm)
                continue
            reading.unassigned.append(fm)
        elif fm.role == OTHER_ROLE:
            reading.other.append(fm)
        elif fm.mention.error is not None:
            reading.invalid.append(fm)
        elif fm.mention.approximate:
            reading.approximate.append(fm)
    _collect_values(text, catalogue, reading)
    return reading


def _revised(text: str) -> bool:
    """"1000万，不对，1200万", "从400万增加到800万", "原来800万，后来实际成交500万": the last counts."""
    return any(_LEX.search(name, text) for name in ("correction", "change_from_to", "revision"))


def _revised_value(text: str, values: list[int], parts: list[FigureMention]) -> list[int]:
    """The value a revision gives: the last amount, unless it is one being described ("成交额是800万，
    1200万是合同总额含设备": the 1200万 is explained away, not the new value)."""
    kept = [v for v, fm in zip(values, parts, strict=False)
            if not _LEX.search("amount_described", text[fm.mention.end:fm.mention.end + AMOUNT_DESCRIBED_WINDOW])]
    return (kept or values)[-1:]


def _year_labels(text: str, parts: list[FigureMention]) -> list[str] | None:
    """The year each amount is labelled with ("2023年投入400万", "第二年600万", "去年…"), or None
    unless every one of them is labelled."""
    labels = []
    for fm in parts:
        found = list(_LEX.finditer("year_label.any", text[max(0, fm.mention.start - YEAR_LABEL_WINDOW):fm.mention.start]))
        if not found:
            return None
        labels.append(found[-1].group(0))  # the label nearest the amount
    return labels


def _several(text: str, figure, values: list[int], parts: list[FigureMention]) -> tuple[list[int], bool]:
    """Several amounts of one single-value figure: (values to keep, whether they are items)."""
    if _revised(text):
        return _revised_value(text, values, parts), False
    years = _year_labels(text, parts)
    if years and len(set(years)) == len(years):  # one amount per year
        if figure.by_year == "sum":
            return [sum(values)], False  # "拨款分三年到位：第一年400万，第二年600万…": one project's
        if figure.by_year == "items":
            return values, True  # "2023年投入400万，2024年投入700万": each year its own benefit
    if figure.several == "sum" and _LEX.search("period_part", text):
        return [sum(values)], False  # "四个季度分别是…": parts of the year's figure
    if _LEX.search("item_marker", text) or _stated_count(text) == len(values):
        return values, True  # "分别为…", "第一年…第二年…", "两个项目…600万和900万"
    if figure.several == "sum":
        return [sum(values)], False  # "四个季度分别是…", "为外部企业服务400万元，为创业团队服务50万元"
    return values[-1:], False


def _last_years(text: str, parts: list[FigureMention]) -> int | None:
    """Of amounts labelled by year, the one labelled last year (None unless all are labelled)."""
    labels = []
    for fm in parts:
        before = text[max(0, fm.mention.start - YEAR_LABEL_WINDOW):fm.mention.start]
        if _LEX.search("year_label.last", before):
            labels.append(("last", fm.value))
        elif _LEX.search("year_label.other", before):
            labels.append(("other", fm.value))
        else:
            return None
    last = [v for label, v in labels if label == "last"]
    return last[-1] if len(last) == 1 else None


def _excluded_count(text: str, figure) -> int:
    """How many of N equal items a "其中N个…" clause rules out by the figure's exclusion."""
    n = 0
    for m in _LEX.finditer("of_which_count", text):
        clause = _clause(text, m.start(), m.end())
        if any(p.search(clause) for p in figure.exclude_patterns):
            n += cn_or_int(m.group(1)) or 0
    return n


def _qualifying_parts(text: str, parts: list[FigureMention], figure) -> list[int]:
    """After 其中, the amounts said to be the part the figure counts ("服务总收入1500万，其中给非关联
    单位和创业团队提供开放共享服务的收入620万"): the total before them is not the figure."""
    first = parts[0].mention
    later = [fm for fm in parts[1:] if _LEX.search("of_which", text[first.end:fm.mention.start])]
    return [fm.value for fm in later
            if any(p.search(_clause(text, fm.mention.start, fm.mention.end)) for p in figure.qualify_patterns)]


def _collect_values(text: str, catalogue: Catalogue, reading: FigureReading) -> None:
    by_role: dict[str, list[FigureMention]] = {}
    for fm in reading.mentions:
        if fm.role in (None, OTHER_ROLE) or fm.mention.error is not None or fm.mention.approximate:
            continue
        by_role.setdefault(fm.role, []).append(fm)
    for key, fms in by_role.items():
        figure = catalogue.figures[key]
        parts = [fm for fm in fms if not fm.deducted and not fm.own_share and not fm.told_ref]
        own = [fm.value for fm in fms if fm.own_share]
        deducted = [fm.value for fm in fms if fm.deducted]
        values = [fm.value for fm in parts]
        if key in reading.told_totals:
            if values:  # "这450万里有150万是关联的，给非关联单位的只有300万": the remainder is said
                deducted = []
            elif deducted:
                values = [reading.told_totals[key]]  # the part is taken off the total told earlier
        if not own and figure.qualify_patterns and len(parts) > 1:
            own = _qualifying_parts(text, parts, figure)
        if own:  # "国拨900万，其中600万拨到我们单位": our share is the figure
            values = own[-1:] if not figure.qualify_patterns else [sum(own)]
        elif deducted and values and figure.multiple and len(values) > 1 and all(v in values for v in deducted):
            for v in deducted:  # "成交额分别为800万和600万，其中600万那笔在包头落地": that item is out
                values.remove(v)
            reading.excluded.setdefault(key, []).extend(fm for fm in fms if fm.deducted)
        elif deducted and values:
            reading.deductions[key] = (values[-1], tuple(deducted))
            values[-1] = values[-1] - sum(deducted)
            if values[-1] <= 0:  # the part said to be excluded is all of it: nothing of it counts
                values.pop()
                del reading.deductions[key]
                reading.excluded.setdefault(key, []).extend(fm for fm in fms if fm.deducted)
        if not values:
            continue
        count = each_count(text)
        if len(values) == 1 and count:
            count -= _excluded_count(text, figure)  # "4个项目每个900万，其中一个是在包头落地的"
            values = values * max(count, 1)
            reading.itemised.add(key)
        elif figure.multiple:
            # "分别是500万、1200万和80万，…80万那个落在包头了": an item named again as ruled out
            for fm in [*reading.excluded.get(key, []), *reading.unassigned]:
                if (fm.value in values and len(values) > 1 and any(p.mention.start < fm.mention.start for p in parts)
                        and _excluded(text, fm.mention, figure)):
                    values.remove(fm.value)
                    if fm in reading.unassigned:
                        reading.unassigned.remove(fm)
                        reading.excluded.setdefault(key, []).append(fm)
            if len(values) > 1 and _revised(text) and not _LEX.search("item_marker", text):
                values = _revised_value(text, values, parts)  # "合同登记额原来800万，后来实际成交额500万": one deal
            elif len(values) > 1:
                reading.itemised.add(key)
        elif len(values) > 1 and figure.by_year == "last_year" and (last := _last_years(text, parts)) is not None:
            values = [last]  # "前年研发投入800万，去年研发投入1200万"
        elif len(values) > 1:
            kept, items = _several(text, figure, values, parts)
            if items:
                reading.itemised.add(key)
            elif len(kept) == 1 and kept[0] == sum(values) and figure.several == "sum":
                reading.summed[key] = tuple(values)
            values = kept
        reading.values[key] = tuple(values)
        reading.parts[key] = tuple(fm.value for fm in parts)
        first, last = fms[0], fms[-1]
        start = min(first.cue[0] if first.cue else first.mention.start, first.mention.start)
        reading.words[key] = text[start: max(last.mention.end, last.cue[1] if last.cue else 0)].strip()


def read_figure(text: str, figure) -> int | tuple[int, ...]:
    """A reply to a figure question: one amount, or several items ("800万、900万和1000万",
    "5个项目每个1000万"). Raises AmountError (ApproximateAmount for 约数, carrying the value)."""
    from calculators.money import ApproximateAmount

    mentions = scan_money(text)
    usable = [m for m in mentions if m.error is None]
    if len(mentions) <= 1 or not figure.multiple and not _LEX.search("respectively", text) and not each_count(text):
        value = parse_amount(text)  # raises the error that names the problem
        count = each_count(text)
        return (value,) * count if count else value
    bad = next((m for m in mentions if m.error is not None), None)
    if bad is not None:
        raise bad.error
    approx = next((m for m in usable if m.approximate), None)
    if approx is not None:
        raise ApproximateAmount(approx.raw, approx.raw, approx.value_yuan)
    values = tuple(m.value_yuan for m in usable)
    if len(values) == 1 and (count := each_count(text)):
        values *= count
    return values


__all__ = ["OTHER_ROLE", "AmountError", "FigureMention", "FigureReading", "each_count", "read_figure", "read_figures"]
