"""Typed option numbers ("2", "4 8", "4，8", "4、8") as presses of the options last offered, for
the front ends that show numbered options (the terminal chat, `ask --session`)."""

from __future__ import annotations

import re

from bot.dialogue.reply import Option

_NUMBERS = re.compile(r"^\s*\d{1,3}(?:\s*[,，、;；\s]\s*\d{1,3})*\s*$")
_SPLIT = re.compile(r"[^\d]+")


def option_presses(text: str, options: list[Option]) -> list[Option] | None:
    """The options `text` presses by number (1-based, in the order typed), or None when it is not
    a list of option numbers: some other text, a number out of range, or options that are only a
    skip button (a bare "1200" answers a figure question; it is not option 1200)."""
    if len(options) < 2 or not _NUMBERS.match(text or ""):
        return None
    numbers = [int(n) for n in _SPLIT.split(text.strip()) if n]
    if not numbers or any(not 1 <= n <= len(options) for n in numbers):
        return None
    return [options[n - 1] for n in numbers]
