"""Money in user text -> integer yuan (Decimal inside, never float).

    parse_amount(text, default_unit=None, *, allow_zero=False) -> int   the one amount in a reply
    find_amounts(text) -> list[Amount]                                  every amount in a sentence

Both normalize the text first (calculators.textnorm): ３００万, 三百萬, ٣٠٠万 and "3\\u200b00万" all
read as 300万. Chinese numerals go through cn2an (两, 叁佰, 一万二); ASCII digits through Decimal.

What counts as money: a number carrying 万/亿 (300万, 1亿2000万, 5百万), a currency word after it
(元, 块钱, 圆, 人民币, RMB, CNY, yuan) or a currency sign before it (¥, RMB, 人民币). "RMB 3 million"
works, and "15 million" alone reads like 1500万 ("2 million people" is a count). Not money: bare numbers (三个项目, 前5名, 5年, 2024年, 40周岁), ordinals (第15条), percents
(30%, 百分之三十), counts (300万人, 5万平方米) and foreign currency (300万美元). Bare numbers listed
before a unit share it: "800、900和1000万元" is three amounts in 万元 (separators 、和及与或/; a
comma only further out, as commas also end clauses: "3，500万元" is no list). "，" typed by a Chinese IME is read as a thousands separator only
in 3，000，000 (two or more groups) and 3，000元; "800，900和1000万" stays a list.
A reply that is only a number ("1500") is read in `default_unit` ("万" -> 15000000; None -> yuan).
Fractional yuan are rounded half up to the yuan (0.5元 -> 1, 1.00005万 -> 10001).

Errors (each has `.kind` and `.message`: Chinese, says what is wrong and what to type instead):

    ValueError
    └── AmountError
        ├── NoAmount           no_amount     nothing that reads as money: "", "🙂", "30%", "三个项目"
        ├── NotANumber         not_a_number  nan, inf, 1e20, an over-long or garbled numeral
        ├── NegativeAmount     negative      -200万, 负200万
        ├── ZeroAmount         zero          0元 (unless allow_zero)
        ├── AbsurdAmount       absurd        more than 1e12 yuan (1万亿元)
        ├── AmountRange        range         200-300万, 200到300万, 两三百万, 几百万
        ├── ApproximateAmount  approximate   约200万, 200万左右, 200多万; .candidate_yuan == 2000000
        └── MultipleAmounts    multiple      parse_amount found 800万 and 900万 in one reply
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

import cn2an

from calculators.format import format_yuan
from calculators.textnorm import normalize

MAX_YUAN = 10**12
_DEFAULT_UNITS = {None: 1, "元": 1, "万": 10**4, "万元": 10**4, "亿": 10**8, "亿元": 10**8}
EXAMPLE = "例如：1200万元"


class AmountError(ValueError):
    kind: ClassVar[str] = "invalid"

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.raw = raw


class NoAmount(AmountError):
    kind = "no_amount"


class NotANumber(AmountError):
    kind = "not_a_number"


class NegativeAmount(AmountError):
    kind = "negative"


class ZeroAmount(AmountError):
    kind = "zero"


class AbsurdAmount(AmountError):
    kind = "absurd"


class AmountRange(AmountError):
    kind = "range"


class ApproximateAmount(AmountError):
    kind = "approximate"

    def __init__(self, message: str, raw: str, candidate_yuan: int) -> None:
        super().__init__(message, raw)
        self.candidate_yuan = candidate_yuan


class MultipleAmounts(AmountError):
    kind = "multiple"


@dataclass(frozen=True)
class Amount:
    """One amount found in a text; start/end index the normalized text (raw == text[start:end])."""

    value_yuan: int
    start: int
    end: int
    raw: str
    approximate: bool = False


# --- recognising mentions -------------------------------------------------------------------

_DIGIT = "零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖"
_NONZERO = "一二两三四五六七八九壹贰叁肆伍陆柒捌玖"
_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"万": 10**4, "亿": 10**8}
_UNITS = "十拾百佰千仟万亿"
_RUN = re.compile(
    rf"(?:[0-9]|[{_DIGIT}十拾]|[几数](?=[{_UNITS}]))"
    rf"(?:[0-9{_DIGIT}{_UNITS}几]"
    r"|(?<=[0-9]),(?=[0-9]{3}(?![0-9]))"
    r"|(?<=[0-9])\.(?=[0-9])"
    rf"|点(?=[{_DIGIT}])"
    r"|(?<=[0-9])[eE][+-]?(?=[0-9])"
    rf"|[多余来](?=[{_UNITS}元块])"
    r"|(?<=[0-9]) (?=[万亿])"
    r")*"
)
_BEFORE = {
    "ordinal": re.compile(r"第\s*$"),
    "percent": re.compile(r"百分之\s*$"),
    "foreign": re.compile(r"(?:\$|usd|eur|€|£)\s*$", re.I),
    "currency": re.compile(r"(?:¥|rmb|cny|人民币)\s*$", re.I),
    "approximate": re.compile(
        r"(?:(?<![节预合签契制公条])约|大约|大概|大致|差不多|估计|(?<![最附])近|将近|接近|"
        r"超过|不到|不足|不少于|不低于|至少|最多|逾)\s*(?:合|是|为|有)?\s*$"
    ),
}
_EN_MULT = re.compile(r"\s*(thousand|million|billion)\b", re.I)
_EN_VALUE = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
_MORE = re.compile(r"[多余]")
_PERCENT = re.compile(r"\s*(?:%|‰|个百分点)")
_PER_UNIT = re.compile(r"[台套件个项份张次家批单笔款种]")
_EN_COUNT = re.compile(
    r"\s+(?:people|persons|residents|users|customers|visitors|employees|jobs|units|pieces|items|tons?|tonnes?"
    r"|square|sq|km|kilomet|met|kwh|kw|mw|hours|days|years|times|shares)\b",
    re.I,
)
_FOREIGN = re.compile(r"\s*(?:美元|美金|欧元|日元|港元|港币|英镑|韩元|澳元|加元|卢布|usd|eur|dollars?)", re.I)
_CURRENCY = re.compile(r"\s*(?:元|块钱|块(?![一-鿿])|圆|人民币|rmb|cny|yuan)", re.I)
_APPROX_AFTER = re.compile(r"\s*(?:左右|上下|以上|以下|出头|多)")
_COUNT = re.compile(
    r"\s*(?:[人名个位家户台套件次项篇株头只辆张份条字亩吨米度斤克升天年月日周岁倍首座间所届期]"
    r"|平方|公里|千瓦|小时|分钟)|[a-zA-Z]"
)
_RANGE_SEP = re.compile(r"\s*(?:-|~|〜|—|–|−|到|至)\s*")
_LIST_SEP = re.compile(r"\s*(?:、|和|及|与|以及|或|/)\s*")
_FULLWIDTH_THOUSANDS = re.compile(  # an IME's "，" in 3，000，000 or 3，000元; not in "800，900和1000万"
    r"(?<![0-9.])[0-9]{1,3}(?:，[0-9]{3}){2,}(?![0-9])|(?<![0-9.])[0-9]{1,3}，[0-9]{3}(?=\s*元)"
)
_LIST_OR_COMMA = re.compile(r"\s*(?:、|和|及|与|以及|或|/|，|,)\s*")
_ADJACENT = re.compile(rf"[{_NONZERO}]{{2}}(?=[{_UNITS}])")
_NAN = re.compile(r"(?<![a-z])(?:nan|inf(?:inity)?)(?![a-z])|无穷|[0-9][0-9.]*e[+-]?[0-9]+", re.I)
_FILLER = re.compile(r"一共|总共|合计|共计|大概|大约|大致|差不多|估计|是|为|有|共|约|吧|啊|呢|了|嗯|哦|呀")


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    raw: str
    kind: str  # amount | range | not_a_number | invalid | percent | ordinal | count | foreign
    money: bool
    value: Decimal | None = None
    negative: bool = False
    approximate: bool = False
    plain: bool = False  # a bare numeral with no unit: may take the unit of a list's last item
    shared: Decimal | None = None  # the unit this amount lends to bare numerals listed before it


def _cn_int(s: str) -> Decimal | None:
    """A Chinese integer numeral without 万/亿 (三百, 叁佰, 两千, 一二) via cn2an, or None."""
    s = s.lstrip("零〇") or "零"
    try:
        n = cn2an.cn2an(s, "normal")
    except Exception:  # cn2an signals bad input with ValueError, and with KeyError on some ("两亿三")
        return None
    return Decimal(n) if isinstance(n, int) else None


def _small(s: str) -> Decimal | None:
    """A numeral below 万 units: 1200.5, 三百, 一点五, 1千, 1.5千, 3千5百."""
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", s):
        return Decimal(s)
    if not re.search("[0-9]", s):
        whole, dot, frac = s.partition("点")
        n = _cn_int(whole) if whole else None
        if n is None or not dot:
            return n
        digits = "".join(str(_cn_int(ch)) for ch in frac)
        return n + Decimal(f"0.{digits}") if digits.isdigit() else None
    if m := re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([十拾百佰千仟])", s):
        return Decimal(m[1]) * _SMALL[m[2]]
    if re.search("[0-9]{2}|[.点]", s):
        return None
    return _cn_int(re.sub("[0-9]", lambda d: cn2an.an2cn(d.group()), s))


def _value(s: str) -> Decimal | None:
    """Value of a numeral run (commas, spaces and 多/余/来 removed): 1亿2000万, 一万二, 0.3亿."""
    parts = re.split("([万亿]+)", s)
    nums, units = parts[0::2], parts[1::2]
    total, top, unit = Decimal(0), 0, 1
    for num, unit_chars in zip(nums, units, strict=False):
        n = _small(num) if num else None
        if n is None:
            return None
        unit = 1
        for ch in unit_chars:
            unit *= _BIG[ch]
        total, top = ((total + n) * unit, unit) if unit > top else (total + n * unit, top)
    tail = nums[-1]
    if tail:
        n = _small(tail)
        if n is None:
            return None
        if units and len(tail) == 1 and tail in _NONZERO + "123456789":
            n *= Decimal(unit) / 10  # spoken style: 一万二 = 12000, 1亿5 = 1.5亿
        total += n
    return total


def _read(t: str, m: re.Match[str]) -> tuple[_Mention, int]:
    """Read the mention around the numeral run `m`; return it and where scanning resumes."""
    start, pos, run = m.start(), m.end(), m.group()
    # "200万一台" is 200万 per unit, not 2000001 units: a trailing 一 before a measure word is "one"
    if len(run) > 1 and run[-1] == "一" and run[-2] in "万亿" and _PER_UNIT.match(t, pos):
        pos, run = pos - 1, run[:-1]
    flags: set[str] = set()
    sign = t[start - 1] if start else ""
    # a minus after a word ("研发投入-300万") is a sign; after a digit or a Latin letter it is a
    # range or an identifier ("200-300万", "A-300")
    before_sign = t[start - 2] if start >= 2 else ""
    if sign == "负" or sign in ("-", "−") and not (before_sign.isascii() and before_sign.isalnum()):
        flags.add("negative")
        start -= 1
    for _ in range(3):  # prefixes, innermost first: 人民币约200万, 约人民币200万
        for name, pattern in _BEFORE.items():
            if p := pattern.search(t, max(0, start - 16), start):
                flags.add(name)
                start = p.start()
    kind = next((k for k in ("ordinal", "percent", "foreign") if k in flags), "amount")
    pos, multiplier, kind, suffix_flags = _read_suffix(t, pos, kind, run)
    flags |= suffix_flags
    clean = run.replace(",", "").replace(" ", "")
    if kind == "amount" and (sep := _RANGE_SEP.match(t, pos)) and (m2 := _RUN.match(t, sep.end())):
        end2, _, kind2, flags2 = _read_suffix(t, m2.end(), "amount", m2.group())
        if kind2 == "amount":
            money = "currency" in flags | flags2 or any(r[-1] in _BIG for r in (run, m2.group()))
            return _Mention(start, end2, t[start:end2], "range", money), end2
    value, approximate = None, "approximate" in flags or bool(re.search("[多余来]", clean))
    if kind == "amount":
        if re.search("[eE]", clean) or len(clean) > 40:
            kind = "not_a_number"
        elif "几" in clean or clean.startswith("数") or _ADJACENT.search(clean):
            kind = "range"
        elif (value := _value(re.sub("[多余来]", "", clean))) is None:
            kind = "invalid"
        else:
            value *= multiplier
    big_end = bool(re.search("[万亿]$", clean))
    # "15 million" reads as yuan the way "1500万" does; "2 million people" is a count
    big_end = big_end or (multiplier >= 10**6 and not _EN_COUNT.match(t, pos))
    money = kind in ("amount", "range", "not_a_number", "invalid") and ("currency" in flags or big_end)
    plain = kind == "amount" and not money and multiplier == 1 and not {"negative", "currency"} & flags
    plain = plain and bool(re.fullmatch(rf"[0-9]+(?:\.[0-9]+)?|[{_DIGIT}{_UNITS[:6]}]+", clean))
    shared = None
    if money and kind == "amount" and multiplier == 1 and (u := re.fullmatch("[^万亿]+([万亿]*)", clean)):
        shared = Decimal(_BIG["万"] ** u[1].count("万") * _BIG["亿"] ** u[1].count("亿"))
    negative = "negative" in flags
    return _Mention(start, pos, t[start:pos], kind, money, value, negative, approximate, plain, shared), pos


def _read_suffix(t: str, pos: int, kind: str, run: str) -> tuple[int, int, str, set[str]]:
    """Read what follows a numeral run: million, 多, %, 美元, 元, 左右, or a counted noun."""
    flags, multiplier = set(), 1
    if kind != "amount":
        return pos, multiplier, kind, flags
    if x := _EN_MULT.match(t, pos):
        multiplier, pos = _EN_VALUE[x[1].lower()], x.end()
    if x := _MORE.match(t, pos):
        flags.add("approximate")
        pos = x.end()
    if x := _PERCENT.match(t, pos):
        return x.end(), multiplier, "percent", flags
    if x := _FOREIGN.match(t, pos):
        return x.end(), multiplier, "foreign", flags
    if x := _CURRENCY.match(t, pos):
        flags.add("currency")
        pos = x.end()
    elif _COUNT.match(t, pos):
        return pos, multiplier, "count", flags
    if x := _APPROX_AFTER.match(t, pos):
        flags.add("approximate")
        pos = x.end()
    return pos, multiplier, kind, flags


def _scan(text: str) -> list[_Mention]:
    t = _FULLWIDTH_THOUSANDS.sub(lambda m: m.group().replace("，", ","), text)  # same length
    mentions: list[_Mention] = []
    pos = 0
    while m := _RUN.search(t, pos):
        mention, pos = _read(t, m)
        mentions.append(replace(mention, raw=text[mention.start : mention.end]))
    for i, last in enumerate(mentions):  # "800，900和1000万元": the list's unit applies to all
        j, sep = i - 1, _LIST_SEP  # a comma joins the list only further out ("3，500万元" is no list)
        while last.shared and j >= 0 and mentions[j].plain:
            if not sep.fullmatch(t, mentions[j].end, mentions[j + 1].start):
                break
            mentions[j] = replace(mentions[j], money=True, plain=False, value=mentions[j].value * last.shared)
            j, sep = j - 1, _LIST_OR_COMMA
    return mentions


# --- checking and the public functions -------------------------------------------------------


def _check(m: _Mention, allow_zero: bool) -> int:
    """Integer yuan of one money mention, or the AmountError that names its problem."""
    raw = m.raw
    if m.kind == "range":
        raise AmountRange(f"“{raw}”是一个范围或约数，请给出一个具体金额，例如：250万元", raw)
    if m.kind != "amount" or m.value is None:
        raise NotANumber(f"“{raw}”不是有效的金额，请用数字加单位输入，{EXAMPLE}", raw)
    if m.negative and m.value:
        raise NegativeAmount(f"金额不能为负数（“{raw}”），请输入一个正的金额，{EXAMPLE}", raw)
    if m.value > MAX_YUAN:
        raise AbsurdAmount(f"“{raw}”超过1万亿元，不太可能，请核对后重新输入，{EXAMPLE}", raw)
    yuan = int(m.value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if yuan == 0 and not allow_zero:
        raise ZeroAmount(f"金额不能为0，请输入实际金额，{EXAMPLE}", raw)
    return yuan


def _reply_number(t: str, mentions: list[_Mention], default_unit: str | None) -> _Mention | None:
    """The mention when the whole reply is one bare number ("1500", "大概一千五。"), in default_unit."""
    bare = [m for m in mentions if not m.money and m.kind in ("amount", "range", "not_a_number", "invalid")]
    if len(bare) != 1 or len(mentions) != 1:
        return None
    m = bare[0]
    if re.search(r"\w", _FILLER.sub("", t[: m.start] + t[m.end :])):
        return None
    unit = _DEFAULT_UNITS[default_unit]
    return replace(m, money=True, value=None if m.value is None else m.value * unit)


def parse_amount(text: str, default_unit: str | None = None, *, allow_zero: bool = False) -> int:
    """The one amount in `text`, in integer yuan; raise AmountError (see module docstring) otherwise.

    default_unit ("元", "万", "亿" or None = 元) applies only when the reply is a bare number;
    an explicit unit always wins ("1500元" stays 1500 yuan).
    """
    if default_unit not in _DEFAULT_UNITS:
        raise ValueError(
            f"default_unit must be one of {sorted(map(str, _DEFAULT_UNITS))}, got {default_unit!r}"
        )
    t = normalize(text)
    if x := _NAN.search(t):
        raise NotANumber(f"“{x.group()}”不是有效的金额，请用数字加单位输入，{EXAMPLE}", x.group())
    mentions = _scan(t)
    money = [m for m in mentions if m.money]
    if not money and (reply := _reply_number(t, mentions, default_unit)):
        money = [reply]
    if not money:
        other = next((m for m in mentions if m.kind in ("percent", "foreign")), None)
        if other and other.kind == "percent":
            raise NoAmount(f"“{other.raw}”是百分比，不是金额，请输入一个具体金额，{EXAMPLE}", other.raw)
        if other:
            raise NoAmount(f"请把“{other.raw}”换算成人民币后输入，{EXAMPLE}", other.raw)
        raise NoAmount(f"没有找到金额，请输入一个具体金额，{EXAMPLE}", t[:40])
    values = [_check(m, allow_zero) for m in money]
    if len(set(values)) > 1:
        listed = "、".join(format_yuan(v) for v in values[:5])
        raise MultipleAmounts(f"找到了多个金额（{listed}），请只输入一个金额，{EXAMPLE}", t[:40])
    if approximate := next((m for m in money if m.approximate), None):
        raise ApproximateAmount(
            f"“{approximate.raw}”是个约数。按{format_yuan(values[0])}计算可以吗？如不准确，请输入准确金额，{EXAMPLE}",
            approximate.raw,
            values[0],
        )
    return values[0]


@dataclass(frozen=True)
class MoneyMention:
    """A piece of text that is meant as money, readable or not: an Amount, or the AmountError
    that says why it cannot be used (a range, a negative, zero, an absurd figure)."""

    start: int
    end: int
    raw: str
    value_yuan: int | None  # None when `error` is set
    approximate: bool = False
    error: AmountError | None = None


def scan_money(text: str) -> list[MoneyMention]:
    """Every money mention in `text`, in order, with its value or its problem; offsets index
    normalize(text). "研发投入-300万" gives a mention with a NegativeAmount error, so the figure it
    belongs to can be asked again instead of silently losing (or flipping) the sign."""
    t = normalize(text)
    out = []
    for m in _scan(t):
        if not m.money:
            continue
        try:
            out.append(MoneyMention(m.start, m.end, m.raw, _check(m, allow_zero=False), m.approximate))
        except AmountError as exc:
            out.append(MoneyMention(m.start, m.end, m.raw, None, m.approximate, exc))
    return out


def find_amounts(text: str) -> list[Amount]:
    """Every amount in `text`, in order; offsets index normalize(text).

    Only amounts parse_amount would accept (or flag as approximate) are returned: ranges,
    negatives, zero, absurd or unreadable figures, percents, counts and bare numbers are left out
    (parse_amount on the same text names the problem; scan_money keeps them with their error).
    """
    return [Amount(m.value_yuan, m.start, m.end, m.raw, m.approximate) for m in scan_money(text) if m.error is None]
