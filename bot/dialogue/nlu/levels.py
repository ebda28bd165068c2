"""Levels (国家 / 自治区 / 市) and the negation right before a mention.

Which level a mention of a many-level thing (孵化器, 众创空间, 重点实验室…) has is decided per
mention, from the words bound to it, never carried across to another item:
  1. a chain right before it: "国家级和自治区级众创空间" -> both;
  2. the nearest level word before it, in its own clause: "国家级孵化器";
  3. a level right after it, in its own clause: "众创空间新认定为自治区级", "孵化器是国家级的";
  4. otherwise a level word of the message that no other mention claimed, if there is one level
     among those: "首台套单价80万，国家认定的".
"""

from __future__ import annotations

from bot.dialogue.nlu.moves import CJK
from calculators.grammar import lexicon

LEVELS = ("national", "region", "city")
# How far before a mention a level word may stand: "自治区级科技企业" fits in 14 Chinese
# characters; English words are longer.
LEVEL_WINDOW_CJK = 14
LEVEL_WINDOW_LATIN = 40
# A chain of levels ("国家级和自治区级") ends within this many characters before the thing.
LEVEL_CHAIN_WINDOW = 16

_LEX = lexicon()


def level_words(text: str) -> list[tuple[int, int, str]]:
    """Every level word in `text`: (start, end, level), text order."""
    found = [(m.start(), m.end(), level) for level in LEVELS for m in _LEX.finditer(f"level.{level}", text)]
    return sorted(found)


def level_of(text: str) -> str | None:
    """The first level class the text names (national before region before city)."""
    for level in LEVELS:
        if _LEX.search(f"level.{level}", text):
            return level
    return None


def corrected_level(text: str) -> str | None:
    """The level a correction settles on: the last explicit level word not denied ("不是国家级是
    自治区级", "是自治区级的，不是国家级" -> region). "国家高新技术企业" names no level to correct to."""
    named: list[tuple[int, str]] = []
    for level in LEVELS:
        for m in _LEX.finditer(f"level_explicit.{level}", text):
            if not _LEX.search("level_denied", text, 0, m.start()):
                named.append((m.start(), level))
    return max(named)[1] if named else None


def clause_start(text: str, start: int, window: int) -> int:
    """Where the clause of the mention at `start` begins: a level word does not reach across the
    lexicon's level_break words (，。；、和及与)."""
    lo = max(0, start - window)
    breaks = [m.end() for m in _LEX.finditer("level_break", text[lo:start])]
    return lo + breaks[-1] if breaks else lo


def level_before(text: str, start: int, end: int) -> tuple[str, int] | None:
    """The level word closest before a mention in its clause: (level, position of the word)."""
    window = LEVEL_WINDOW_CJK if CJK.search(text, max(0, start - 2), start or 1) else LEVEL_WINDOW_LATIN
    lo = clause_start(text, start, window)
    best = None
    for ws, _we, level in level_words(text[lo:end]):
        if lo + ws < start + (end - start) and (best is None or lo + ws > best[1]):
            best = (level, lo + ws)
    return best


def level_after(text: str, end: int) -> tuple[str, int] | None:
    """A level right after a mention in its clause ("…众创空间新认定为自治区级")."""
    m = _LEX.search("level_after", text[end:])
    if not m:
        return None
    word = m.group(1)
    return level_of(word), end + m.start(1)


def level_chain(text: str, start: int) -> set[str]:
    """'国家级和自治区级众创空间': every level of a chain right before the thing named."""
    m = _LEX.search("level_chain", text[max(0, start - LEVEL_CHAIN_WINDOW):start])
    if not m:
        return set()
    return {level for level in LEVELS if _LEX.search(f"level.{level}", m.group(0))}


def negated_before(text: str, start: int) -> bool:
    """"我们不是新型研发机构" / "没啥研发投入": the mention at `start` is denied. "是不是高企"
    asks and "还没认定高企，认定了能拿多少" is hypothetical: neither denies."""
    return bool(_LEX.search("negated_before", text, 0, start))
