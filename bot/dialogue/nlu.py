"""Deterministic language understanding: commands, intents, recognitions and figures.

Everything works on text already passed through calculators.textnorm.normalize (simplified
Chinese, ASCII digits, no zero-width or bidi characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from calculators.catalogue import Catalogue
from calculators.money import Amount, AmountError, ApproximateAmount, find_amounts, parse_amount

# --- small vocabularies (words, not questions) -------------------------------------------------
_GREETING = re.compile(r"^(你好|您好|hi|hello|hey|嗨|哈喽|在吗|在不在|早上好|下午好|晚上好)[呀啊吗哈!！。.~～\s]*$", re.I)
_THANKS = re.compile(r"^(谢谢|多谢|感谢|thanks?|thank you|好的|ok|嗯|收到|明白了?)[了你您啦呀!！。.~～\s]*$", re.I)
_HELP = re.compile(r"^(/start|/help|帮助|help|怎么用|你能做什么|你会什么|菜单|使用说明)\b", re.I)
_RESET = re.compile(r"^(/reset\b|重新开始|重来|重置|清空|从头开始|reset\b|restart\b)", re.I)
_CHECK = re.compile(r"^/check\b", re.I)
_ARTICLES = re.compile(r"^(/articles\b|全部条款|所有条款|条款列表|目录|有哪些条款|30条都有什么|列出.*条)", re.I)
_FORM_START = re.compile(
    r"(能享受|可以享受|能申请|可以申请|符合|适用|能拿|可以拿|能领|有资格).{0,6}(哪些|什么|多少).{0,4}(政策|补贴|奖补|条款|支持|资金|钱)"
    r"|(哪些|什么)(政策|补贴|奖补|条款|支持).{0,6}(能|可以)?(享受|申请|拿|领)"
    r"|帮(我|我们)?(看看|测|测算|算算|评估|匹配|查查)|政策体检|政策匹配|资格测评|测一测|自测|开始测评|eligib",
    re.I,
)
_SKIP = re.compile(r"^(跳过|不知道|不清楚|不确定|没有这个数|没有数据|暂时没有|先跳过|skip|pass|略过|不方便说|不想说)[。!！.\s]*$", re.I)
_DONE = re.compile(r"^(完成|好了|就这些|没有了|没了|选好了|下一步|确定|done|ok|都没有|没有|无)[。!！.\s]*$", re.I)
_CORRECTION = re.compile(r"(不对|说错|错了|更正|纠正|改成|改为|改一下|应该是|其实是|更改|修改|不是.{0,12}而?是)")
_QUESTION = re.compile(r"[?？]|吗|么|哪|怎|多少|几|是否|能否|可否|有没有|如何|咨询|请问|什么|how|what|which|can|does|is there", re.I)
_YES = re.compile(r"^(是|是的|对|对的|没错|可以|好|好的|行|确认|yes|y|ok)[。!！.\s]*$", re.I)
_NO = re.compile(r"^(不是|不对|否|不|no|n)[。!！.\s]*$", re.I)

_ARTICLE_REF = re.compile(r"(?:第\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*条)|^[（(]([一二三四五六七八九十]{1,3})[)）]$|^/article\s+(\S+)")
_LEVEL_WORDS = {
    "national": re.compile(r"国家级|国家|全国|国字号|(?<!inter)\bnational\b", re.I),
    "region": re.compile(
        r"自治区级|自治区|区级|内蒙古|省级|\bregional\b|\bregion[- ]level|autonomous[- ]region|inner mongolia|provincial", re.I
    ),
    "city": re.compile(r"市级|市里认定|本市认定", re.I),
}



def cn_or_int(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    from retrieval.corpus import cn_number

    try:
        return cn_number(token)
    except (ValueError, IndexError):
        return None


@dataclass(frozen=True)
class TriggerMatch:
    trigger: str
    start: int
    end: int


@dataclass
class Detected:
    """Recognitions found in one message."""

    triggers: list[str] = field(default_factory=list)  # resolved trigger ids, text order
    # Families named without a level, where the catalogue has several: object -> trigger ids
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # trigger -> cue matches

    def all_ids(self) -> list[str]:
        return self.triggers + [t for family in self.ambiguous.values() for t in family]

    def drop(self, trigger: str) -> None:
        if trigger in self.triggers:
            self.triggers.remove(trigger)
        for obj in list(self.ambiguous):
            if trigger in self.ambiguous[obj]:
                del self.ambiguous[obj]


def is_greeting(text: str) -> bool:
    return bool(_GREETING.match(text))


def is_thanks(text: str) -> bool:
    return bool(_THANKS.match(text))


def is_help(text: str) -> bool:
    return bool(_HELP.match(text))


def is_reset(text: str) -> bool:
    return bool(_RESET.match(text))


def is_check(text: str) -> bool:
    return bool(_CHECK.match(text))


def is_articles_list(text: str) -> bool:
    return bool(_ARTICLES.match(text))


def is_form_start(text: str) -> bool:
    return bool(_FORM_START.search(text))


def is_skip(text: str) -> bool:
    return bool(_SKIP.match(text))


def is_done(text: str) -> bool:
    return bool(_DONE.match(text))


def is_correction(text: str) -> bool:
    return bool(_CORRECTION.search(text))


def looks_like_question(text: str) -> bool:
    return bool(_QUESTION.search(text))


def is_yes(text: str) -> bool:
    return bool(_YES.match(text))


def is_no(text: str) -> bool:
    return bool(_NO.match(text))


def article_ref(text: str) -> int | None:
    """'第十五条', '第15条', '（十五）', '/article 15' -> 15 (only 1..30)."""
    m = _ARTICLE_REF.search(text.strip())
    if not m:
        return None
    token = next(g for g in m.groups() if g)
    number = cn_or_int(token)
    return number if number and 1 <= number <= 30 else None


def is_article_lookup(text: str) -> int | None:
    """A message that is mainly a reference to one article ("第十五条", "看看第15条讲什么")."""
    number = article_ref(text)
    if number is None:
        return None
    rest = _ARTICLE_REF.sub("", text)
    rest = re.sub(r"[，,。.!！?？\s]|看看|看一下|查看|查一下|讲了?什么|说了?什么|是什么|内容|原文|具体|规定|请问|帮我|显示|打开|给我|的|条款|一下", "", rest)
    return number if len(rest) <= 4 else None


def org_type_of(text: str, catalogue: Catalogue) -> str | None:
    """Match a typed or pressed organisation type."""
    for key, label in catalogue.org_types.items():
        if text.strip() == label or text.strip() == key:
            return key
    for key, words in catalogue.org_type_words.items():
        if any(w in text for w in words):
            return key
    return None


def level_of(text: str) -> str | None:
    for level, pattern in _LEVEL_WORDS.items():
        if pattern.search(text):
            return level
    return None


CJK = re.compile(r"[\u4e00-\u9fff]")  # a Chinese character


_EXPLICIT_LEVELS = {
    "national": re.compile(r"国家级|(?<!inter)\bnational[- ]level\b", re.I),
    "region": re.compile(r"自治区级|(?<!自治)区级|省级|\bregion(?:al)?[- ]level\b", re.I),
    "city": re.compile(r"市级", re.I),
}
_DENIED_LEVEL = re.compile(r"(?:不是|并非|而非|非)(?:的)?$")


def corrected_level(text: str) -> str | None:
    """The level a correction settles on: the last level word not denied ("不是国家级是自治区级",
    "是自治区级的，不是国家级" -> region)."""
    named: list[tuple[int, str]] = []
    for level, pattern in _EXPLICIT_LEVELS.items():  # "国家高新技术企业" names no level to correct to
        for m in pattern.finditer(text):
            if not _DENIED_LEVEL.search(text, 0, m.start()):
                named.append((m.start(), level))
    return max(named)[1] if named else None


def _level_near(text: str, start: int, end: int) -> str | None:
    """The level word closest before a match (within the same clause of the sentence)."""
    # 14 characters hold "自治区级科技企业" before the thing; English words are longer
    window_start = max(0, start - (14 if CJK.search(text, max(0, start - 2), start or 1) else 40))
    before = re.split(r"[，,。；;、和及与]", text[window_start:start])[-1] + text[start:end]
    best: tuple[int, str] | None = None
    for level, pattern in _LEVEL_WORDS.items():
        for m in pattern.finditer(before):
            if best is None or m.start() > best[0]:
                best = (m.start(), level)
    return best[1] if best else None


_LEVEL_CHAIN = re.compile(
    r"(?:(?:国家级?|全国|自治区级?|区级|省级|市级)(?:和|及|与|、|或|以及)){1,2}(?:国家级?|全国|自治区级?|区级|省级|市级)的?$"
)


def _level_chain(text: str, start: int) -> set[str]:
    """'国家级和自治区级众创空间': every level of a chain right before the thing named."""
    m = _LEVEL_CHAIN.search(text[max(0, start - 16):start])
    if not m:
        return set()
    return {lv for lv, pattern in _LEVEL_WORDS.items() if pattern.search(m.group(0))}


# A negation right before a mention: 不是/并非/不属于/算不上 (+ 一家/个…). "是不是高企" asks, it
# does not deny, and "还没认定高企，认定了能拿多少" is a hypothetical: both keep the mention.
# "没啥研发投入" / "没有高企" say the thing is absent ("有没有高企奖励" asks, so 没有 after 有 is no denial).
_NEGATED_BEFORE = re.compile(
    r"(?<!是)(?:不是|并非|并不是|不属于|不算|算不上)(?:一家|一个|一所|家|个|所)?(?:国家级?|自治区级?|市级?)?$"
    r"|(?<!有)(?:没有|没啥|没什么|尚无|毫无)(?:任何|啥|什么)?$"
)


def detect_triggers(text: str, catalogue: Catalogue, org_type: str | None = None) -> Detected:
    matches: list[TriggerMatch] = []
    for tid, trigger in catalogue.triggers.items():
        if not trigger.matches(text):
            continue
        for cue in trigger.cue_patterns:
            for m in cue.finditer(text):
                matches.append(TriggerMatch(tid, m.start(), m.end()))
    # A cue inside a longer cue of another trigger names the longer thing (旗区…新型研发机构).
    kept = [
        m
        for m in matches
        if not any(
            o.trigger != m.trigger
            and o.start <= m.start
            and m.end <= o.end
            and (o.end - o.start) > (m.end - m.start)
            and catalogue.triggers[o.trigger].object != catalogue.triggers[m.trigger].object
            for o in matches
        )
    ]
    # "我们不是新型研发机构" states what the asker is not: that mention names no recognition.
    negated = [m for m in kept if _NEGATED_BEFORE.search(text, 0, m.start)]
    kept = [m for m in kept if not any(n.start <= m.start and m.end <= n.end for n in negated)]
    kept.sort(key=lambda m: (m.start, m.end))
    detected = Detected()
    for m in kept:
        detected.spans.setdefault(m.trigger, []).append((m.start, m.end))
    by_object: dict[str, list[TriggerMatch]] = {}
    for m in kept:
        by_object.setdefault(catalogue.triggers[m.trigger].object, []).append(m)
    for obj, ms in by_object.items():
        family = sorted({m.trigger for m in ms}, key=lambda t: [x.trigger for x in ms].index(t))
        levels = {catalogue.triggers[t].level for t in family}
        if len(family) == 1 or len(levels) == 1 and len(family) == 1:
            _add(detected.triggers, family[0])
            continue
        # Several levels of one object: the level word next to each mention decides.
        chosen: list[str] = []
        for m in ms:
            levels_here = _level_chain(text, m.start) or {_level_near(text, m.start, m.end)}
            for t in family:
                if catalogue.triggers[t].level in levels_here and t not in chosen:
                    chosen.append(t)
        if not chosen:
            # "首台套单价80万，国家认定的": one level named anywhere in the message decides.
            named = {lv for lv, pattern in _LEVEL_WORDS.items() if pattern.search(text)}
            if len(named) == 1:
                chosen = [t for t in family if catalogue.triggers[t].level in named]
        if chosen:
            for t in chosen:
                _add(detected.triggers, t)
        else:
            # Same level, different things (孵化类/研发类 …) or no level given.
            if len(levels) == 1:
                for t in family:
                    _add(detected.triggers, t)
            else:
                detected.ambiguous[obj] = family
    if org_type:
        detected.triggers = [
            t for t in detected.triggers if not catalogue.triggers[t].recipients or org_type in catalogue.triggers[t].recipients
        ] or detected.triggers
    return detected


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


@dataclass
class FigureFinding:
    values: dict[str, list[int]] = field(default_factory=dict)
    cue_spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # cues that got an amount
    unassigned: list[Amount] = field(default_factory=list)
    approximate: list[tuple[str | None, Amount]] = field(default_factory=list)
    errors: list[AmountError] = field(default_factory=list)


def _figure_cue_spans(text: str, catalogue: Catalogue) -> list[tuple[int, int, str]]:
    spans = []
    for key, figure in catalogue.figures.items():
        for cue in figure.cue_patterns:
            for m in cue.finditer(text):
                spans.append((m.start(), m.end(), key))
    return spans


def extract_figures(text: str, catalogue: Catalogue, wanted: list[str]) -> FigureFinding:
    """Assign each amount in the text to a figure: the nearest cue before it (or right after
    it), else the only wanted figure. `wanted` lists the figures the recognised items need."""
    finding = FigureFinding()
    try:
        amounts = find_amounts(text)
    except AmountError as exc:
        finding.errors.append(exc)
        return finding
    spans = _figure_cue_spans(text, catalogue)
    cued = [_nearest_cue(text, spans, amount, wanted, amounts, catalogue) for amount in amounts]
    cued_keys = {key for key, _ in cued if key}
    for amount, (key, span) in zip(amounts, cued, strict=True):
        if span:
            finding.cue_spans.setdefault(key, []).append(span)
        # An amount without a cue is the only wanted figure, unless another amount already came
        # with that figure's cue ("财政投入350万元，营收约1200万元": 1200万 is something else).
        if key is None and len(wanted) == 1 and wanted[0] not in cued_keys and not _excluded(
            text, amount, catalogue.figures[wanted[0]]
        ):
            key = wanted[0]
        if key is None:
            finding.unassigned.append(amount)
        elif amount.approximate:
            finding.approximate.append((key, amount))
        else:
            finding.values.setdefault(key, []).append(amount.value_yuan)
    # "5个项目，每个成交额1000万": one amount stands for each of the counted items.
    for key, values in finding.values.items():
        if catalogue.figures[key].multiple and len(values) == 1 and (count := _each_count(text)):
            finding.values[key] = values * count
    # A list continues the figure of its first member ("成交额800万、900万和1000万").
    if finding.unassigned and finding.values:
        last_key = list(finding.values)[-1]
        if catalogue.figures[last_key].multiple:
            finding.values[last_key].extend(a.value_yuan for a in finding.unassigned)
            finding.unassigned = []
    return finding


_COUNT_RE = re.compile(
    r"([0-9]{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:个|项|笔|份|宗)(?!月)"
    r"|(?i:\b([0-9]{1,2}|two|three|four|five|six|seven|eight|nine|ten)\s+(?:\w+\s+)?"
    r"(?:deals|projects|contracts|transactions|items|achievements)\b)"
)
_EACH_RE = re.compile(r"每(个|项|笔|份|宗)|各|均为|都是|分别都|(?i:\beach\b|\bper (deal|project|contract)\b)")
_ENGLISH_COUNTS = {w: i for i, w in enumerate("two three four five six seven eight nine ten".split(), start=2)}


def _each_count(text: str) -> int | None:
    """"3个项目，每个成交额200万" / "每个项目200万，一共3个" / "5 deals, each 15 million": the count."""
    m = _COUNT_RE.search(text)
    if not m or not _EACH_RE.search(text):
        return None
    if m.group(1):
        count = cn_or_int(m.group(1).replace("两", "二"))
    else:
        word = m.group(2).lower()
        count = _ENGLISH_COUNTS.get(word) or (int(word) if word.isdigit() else None)
    return count if count and 1 < count <= 50 else None


_CLAUSE_END = re.compile(r"[，,。；;!?？！]")


def _excluded(text: str, amount: Amount, figure) -> bool:
    """Whether the amount's clause says it is not this figure (the figure's `exclude`)."""
    if not figure.exclude_patterns:
        return False
    starts = [m.end() for m in _CLAUSE_END.finditer(text, 0, amount.start)]
    clause = text[starts[-1] if starts else 0 : amount.start]
    return any(p.search(clause) for p in figure.exclude_patterns)


def _nearest_cue(
    text: str, spans, amount: Amount, wanted: list[str], amounts: list[Amount], catalogue: Catalogue
) -> tuple[str | None, tuple | None]:
    """The figure cue closest to `amount`: before it within the sentence, or right after it in
    the clause. A cue with another amount in between belongs to that amount ("拨款2600万元，配套的
    自筹资金1800万元": 拨款 is not the 1800万's cue)."""
    best: tuple[int, str, tuple] | None = None
    for start, end, key in spans:
        lo, hi = (end, amount.start) if end <= amount.start else (amount.end, start)
        if any(other is not amount and lo <= other.start and other.end <= hi for other in amounts):
            continue
        if _excluded(text, amount, catalogue.figures[key]):
            continue
        if end <= amount.start:
            gap = text[end:amount.start]
            distance = len(gap)
            if distance > 20 or re.search(r"[。；;!?？！]", gap):
                continue
        elif start >= amount.end:
            gap = text[amount.end:start]
            distance = len(gap) + 8  # a cue before the number is the usual order
            if distance > 14 or re.search(r"[，,。；;!?？！]", gap):
                continue
        else:
            continue
        preference = 0 if key in wanted else 30
        score = distance + preference
        if best is None or score < best[0]:
            best = (score, key, (start, end))
    return (best[1], best[2]) if best else (None, None)


def _inside_figure_words(spans: list[tuple[int, int]], text: str, catalogue: Catalogue, keys) -> bool:
    figure_spans = [
        (m.start(), m.end())
        for key in keys
        for cue in catalogue.figures[key].cues
        for m in re.finditer(re.escape(cue), text, re.I)
    ]
    return bool(spans) and all(
        any(fs <= s and e <= fe or (s <= fs and fe <= e) for fs, fe in figure_spans) for s, e in spans
    )


def only_figure_words(detected: Detected, text: str, catalogue: Catalogue, keys: list[str]) -> bool:
    """Every recognition found is just the name of one of these figures ('研发投入是1200万')."""
    return all(_inside_figure_words(detected.spans.get(t, []), text, catalogue, keys) for t in detected.all_ids())


def drop_figure_mentions(detected: Detected, text: str, catalogue: Catalogue, needs: dict[str, list[str]]) -> None:
    """'新型研发机构，上年度研发投入2000万' names a figure of Art.17, not the recognition of
    Art.16 whose cue is also 研发投入: a trigger seen only inside the cue words of a figure that
    another detected trigger needs is dropped."""
    for tid in list(detected.all_ids()):
        other_figures = {k for o in detected.all_ids() if o != tid for k in needs.get(o, [])}
        if other_figures and _inside_figure_words(detected.spans.get(tid, []), text, catalogue, other_figures):
            detected.drop(tid)


def read_figure(text: str, figure) -> int | list[int]:
    """A reply to a figure question: one amount, or for a per-item figure the list of them
    ("800万、900万和1000万", "5个项目每个1000万"). Raises AmountError (ApproximateAmount for
    约数, carrying the value it would use)."""
    if not figure.multiple:
        return parse_amount(text)
    amounts = find_amounts(text)
    if not amounts:
        return [parse_amount(text)]  # raises the error that names the problem
    approx = next((a for a in amounts if a.approximate), None)
    if approx is not None:
        raise ApproximateAmount(f"“{approx.raw}”是约数，请给出准确金额。", approx.raw, approx.value_yuan)
    values = [a.value_yuan for a in amounts]
    if len(values) == 1 and (count := _each_count(text)):
        values *= count
    return values
