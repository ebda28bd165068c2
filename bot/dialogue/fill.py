"""Filling a figure: the one place a figure value is validated and made into a SetFigure event.

Every path that records a figure (a form answer, a one-shot message, a confirmation, a
correction, a follow-up) goes through `set_figure`, so the checks live once: integer yuan,
positive, no more than MAX_YUAN, one value for a single figure unless it was given for several
items, a tuple for a per-item figure.
"""

from __future__ import annotations

from bot.dialogue.state import FigureValue, SetFigure
from calculators.money import MAX_YUAN


def figure_value(figure, values, *, itemised: bool = False) -> FigureValue:
    """The stored value of `figure` from the amounts read for it: all of them for a per-item
    figure or items given as such ("分别为…"), else the last one (a correction wins)."""
    values = tuple(values)
    if not values:
        raise ValueError(f"figure {figure.key}: no amount")
    if figure.multiple or (itemised and len(values) > 1):
        return values
    return values[-1]


def set_figure(catalogue, key: str, value: FigureValue, words: str = "", deduction=None) -> SetFigure:
    figure = catalogue.figures[key]
    items = value if isinstance(value, tuple) else (value,)
    for v in items:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v <= MAX_YUAN:
            raise ValueError(f"figure {key}: {v!r} is not a positive amount of integer yuan")
    if figure.multiple and not isinstance(value, tuple):
        value = (value,)
    return SetFigure(key, value, words, deduction)


def add_items(state, key: str, values, words: str) -> tuple[FigureValue, str]:
    """'还漏了一笔，成交额1500万': the told items of `key` and these after them, with the words of both."""
    old = state.figures.get(key)
    items = (*(old if isinstance(old, tuple | list) else (old,)), *(values if isinstance(values, tuple | list)
                                                                  else (values,)))
    before = state.figure_words.get(key, "")
    return items, "、".join(w for w in (before, words) if w)


def replace_item(value: FigureValue, index: int, new: int) -> FigureValue:
    """'不对，第二笔是900万': one item of a list changed, the others kept."""
    items = list(value) if isinstance(value, tuple) else [value]
    if not 0 <= index < len(items):
        raise IndexError(index)
    items[index] = new
    return tuple(items) if isinstance(value, tuple) else items[0]
