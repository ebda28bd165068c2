"""Conditions of a money item the message says are not met ("我们只是第二完成单位", "不是第一完成单位",
"我们是使用单位" for 研制企业).

A catalogue entry's ``conditions`` name who it is for (25.3: 第一完成单位及相关人员). A message
that denies one (nlu.levels.negated_before) or names another rank of it (第二完成单位 for
第一完成单位) rules that item out: it is cited with its condition, not paid."""

from __future__ import annotations

import re

from bot.dialogue.nlu import levels
from calculators.grammar import lexicon

_LEX = lexicon()
CONDITION_CORE_MIN = 3  # characters of a condition's head noun worth matching ("第一完成单位")
# How far before the noun another rank may start: the rank itself (第二, 第十) and up to two
# characters between ("第二个完成单位", "第3名 完成单位").
RANK_WINDOW = 4


def _core(condition: str) -> str:
    """The head of a condition: '第一完成单位及相关人员' -> '第一完成单位'."""
    return _LEX.regex("condition_head_end").split(condition, maxsplit=1)[0]


def _other_rating(text: str, required: str) -> bool:
    """The message gives a rating other than `required` (评价为合格, 考核良好), or denies it (不是优良)."""
    meets = f"rating_meets.{required}"
    for m in _LEX.finditer("rating_given", text):
        if m.group(1) != required and not (meets in _LEX.classes and _LEX.search(meets, m.group(1))):
            return True
    return any(levels.negated_before(text, m.start()) for m in re.finditer(re.escape(required), text))


def denied_conditions(text: str, catalogue) -> frozenset[str]:
    found = set()
    for condition in {c for e in catalogue.entries for c in e.conditions}:
        core = _core(condition)
        if len(core) < CONDITION_CORE_MIN:
            continue
        if any(levels.negated_before(text, m.start()) for m in re.finditer(re.escape(core), text)):
            found.add(condition)
            continue
        # another rating than the one required ("评价结果为合格（不是优良）" against 评价优良)
        if (rating := _LEX.search("rating", core)) and _other_rating(text, rating.group(0)):
            found.add(condition)
            continue
        # the asker has the opposite role ("我们是使用单位，采购了一台首台套" against 研制企业)
        opposite, affirm = f"condition_opposite.{core}", f"condition_affirm.{core}"
        if opposite in _LEX.classes and any(not levels.negated_before(text, m.start())
                                            for m in _LEX.finditer(opposite, text)) and not (
                affirm in _LEX.classes and _LEX.search(affirm, text)):
            found.add(condition)
            continue
        first = _LEX.search("condition_first", core)
        if first:
            noun = re.escape(core[first.end():])
            for m in re.finditer(noun, text):
                before = text[max(0, m.start() - RANK_WINDOW):m.start()]
                if _LEX.search("condition_other_ordinal", before):
                    found.add(condition)
    return frozenset(found)
