"""One normal form for user text, applied by every layer before NLU: `normalize(text) -> str`.

Steps, in order (each cheap; the whole thing never raises on any str):

1. Cap: only the first ~4×MAX_CHARS characters are looked at, so a 10,000-character message is cheap.
2. Drop invisible characters: every format character (category Cf: zero-width space/joiners
   U+200B–U+200D, word joiner U+2060, BOM U+FEFF, bidi controls U+202A–U+202E and U+2066–U+2069,
   LRM/RLM, soft hyphen, …), lone surrogates (Cs, unencodable as UTF-8) and control characters
   other than whitespace (Cc). "3\u200b00万" becomes "300万"; U+202E cannot reorder text.
3. NFKC, except for the Chinese punctuation in KEEP_FULLWIDTH. Full-width digits and letters become
   ASCII (３００万 -> 300万, ．-> ., ％ -> %, ￥ -> ¥). Decision: ，；：！？（） stay full width.
   They carry meaning in Chinese text, and folding "，" to "," would make "800，900和1000万"
   look like the thousands-separated number 800,900. Consumers match both forms anyway.
4. Decimal digits of other scripts become ASCII (Arabic-Indic ٣٠٠ -> 300, Devanagari ३ -> 3, …),
   via unicodedata.decimal; the Arabic decimal/thousands separators become "." and ",".
   Chinese numerals (三, 〇) are not decimal digits and are left alone.
5. Traditional -> simplified Chinese with OpenCC t2s (三百萬 -> 三百万, 兩 -> 两); the converter is
   built once and cached.
5b. Chat shorthand: a w / W right after a digit is 万 (500w -> 500万; 500kw and 5wifi untouched),
    and the pinyin initials of corpus/shorthand.txt are their characters (gq -> 高企).
6. Whitespace runs (including newlines and U+3000) collapse to one space; ends are stripped.
7. The result is cut to MAX_CHARS.

normalize is idempotent: normalize(normalize(s)) == normalize(s), so offsets into a normalized
string stay valid when a lower layer normalizes again.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import opencc

MAX_CHARS = 2000
KEEP_FULLWIDTH = "，；：！？（）"

_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cs", "Cc"})
_KEEP_CONTROL = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")  # whitespace per str.split()
_NFKC_RUN = re.compile(f"[^{KEEP_FULLWIDTH}]+")
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")
_ARABIC_SEPARATORS = str.maketrans({"\u066b": ".", "\u066c": ","})


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _visible(ch: str) -> bool:
    return ch in _KEEP_CONTROL or unicodedata.category(ch) not in _INVISIBLE_CATEGORIES


def _ascii_digit(m: re.Match[str]) -> str:
    value = unicodedata.decimal(m.group(), None)
    return m.group() if value is None else str(value)


# "500w", "1.5W元": chat shorthand for 万 right after a number (not 500kw, not 5wifi)
_WAN_LETTER = re.compile(r"(?<=[0-9])[wW](?![A-Za-z])")
# "1.5个亿", "两个亿", "十几个亿": the measure word between a number and its unit goes
_GE_UNIT = re.compile(r"(?<=[0-9一二两三四五六七八九十几])个(?=亿)")
SHORTHAND_PATH = Path(__file__).resolve().parent.parent / "corpus" / "shorthand.txt"


@lru_cache(maxsize=1)
def _shorthand() -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """corpus/shorthand.txt ("gq 高企" per line): pinyin initials -> the characters, as one regex.
    Only same-length pairs are kept, so offsets stay valid. Plain text: the query path reads no YAML."""
    table: dict[str, str] = {}
    lines = SHORTHAND_PATH.read_text(encoding="utf-8").splitlines() if SHORTHAND_PATH.exists() else []
    for line in lines:
        parts = line.split("#", 1)[0].split()
        if len(parts) == 2 and len(parts[0]) == len(parts[1]) and parts[0].isascii():
            table[parts[0].lower()] = parts[1]
    if not table:
        return None, {}
    words = "|".join(sorted(map(re.escape, table), key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{words})(?![A-Za-z])", re.IGNORECASE), table


def _expand_shorthand(text: str) -> str:
    pattern, table = _shorthand()
    return pattern.sub(lambda m: table[m.group().lower()], text) if pattern else text


@lru_cache(maxsize=512)  # one message is normalized by several readers (NLU, amounts, search)
def normalize(text: str) -> str:
    """Return the normal form of `text` described in the module docstring (at most MAX_CHARS)."""
    text = text[: 4 * MAX_CHARS]
    text = "".join(ch for ch in text if _visible(ch))
    text = _NFKC_RUN.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = "".join(ch for ch in text if _visible(ch))  # NFKC can expose a few more (rare)
    text = _OTHER_DIGIT.sub(_ascii_digit, text)
    text = text.translate(_ARABIC_SEPARATORS)
    text = _t2s().convert(text)
    text = _WAN_LETTER.sub("万", text)
    text = _GE_UNIT.sub("", text)
    text = _expand_shorthand(text)
    return " ".join(text.split())[:MAX_CHARS].rstrip()
