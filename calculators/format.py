"""Money and rate formatting shared by the rules and everything that shows an amount.

    format_yuan(2_400_000)   -> "240万元"
    format_yuan(15_000)      -> "1.5万元"
    format_yuan(3_333_300)   -> "333.33万元"     (万 with at most two decimals, only when exact)
    format_yuan(300_000_000) -> "3亿元"          (亿 with at most two decimals, only when exact)
    format_yuan(3_333_333)   -> "3,333,333元"    (anything not clean in 万/亿)
    format_yuan(5_000)       -> "5,000元"        (below 1万 always in 元)
    format_rate(Decimal("0.20")) -> "20%"

Never float: all arithmetic is int or Decimal.
"""

from __future__ import annotations

from decimal import Decimal

# How periods and bases read in Chinese: the formulas, the reply texts and every front end use these.
PERIOD_LABELS = {
    "one_time": "一次性",
    "per_year": "每年",
    "per_project": "单个项目",
    "per_person_per_year": "每人每年",
}
BASIS_PREFIX = {"fixed": "", "computed": "", "up_to": "最高", "at_least": "不低于"}

WAN = 10_000
YI = 100_000_000


def _plain(value: Decimal) -> str:
    """Decimal -> shortest plain string: 240, 1.5, 333.33 (no exponent, no trailing zeros)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_yuan(amount: int) -> str:
    """An integer number of yuan the way the policy text writes money (see module docstring)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"format_yuan takes int yuan, got {type(amount).__name__}")
    if amount < 0:
        return "-" + format_yuan(-amount)
    if amount >= YI and amount % (YI // 100) == 0:
        return f"{_plain(Decimal(amount) / YI)}亿元"
    if amount >= WAN and amount % (WAN // 100) == 0:
        return f"{_plain(Decimal(amount) / WAN)}万元"
    return f"{amount:,}元"


def format_decimal_yuan(value: Decimal) -> str:
    """An exact, possibly fractional yuan amount (an intermediate product): 99,999.99元."""
    if value == value.to_integral_value():
        return format_yuan(int(value))
    return f"{_plain_grouped(value)}元"


def _plain_grouped(value: Decimal) -> str:
    whole, _, frac = _plain(value).partition(".")
    grouped = f"{int(whole):,}"
    return f"{grouped}.{frac}" if frac else grouped


def format_rate(rate: Decimal) -> str:
    """Decimal("0.20") -> "20%", Decimal("0.125") -> "12.5%"."""
    return f"{_plain(rate * 100)}%"


def format_ratio(ratio: Decimal) -> str:
    """Matching ratio as the text writes it: Decimal("1") -> "1:1"."""
    return f"1:{_plain(ratio)}"
