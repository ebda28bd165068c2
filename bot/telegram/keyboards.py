"""Inline keyboards and their callback data: short ids, never labels (callback_data ≤ 64 bytes).

    c:<token>:<i>   the i-th choice of the prompt that carried <token>
    d:<token>:y|n   the /delete confirmation (yes / no)

A token is 8 random URL-safe characters, issued per sent keyboard and stored with the chat's live
prompt (store.py). A press whose token is not the chat's live one is stale: the user gets a fresh
prompt instead of a turn, so an old button can never file a value into the current question.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_CALLBACK_BYTES = 64
MAX_BUTTONS = 60
_LABEL_UNITS = 40


@dataclass(frozen=True)
class Press:
    kind: str  # "choice" or "delete"
    token: str
    index: int = -1  # choice index
    confirm: bool = False  # delete: yes / no


def new_token() -> str:
    return secrets.token_urlsafe(6)


def choice_data(token: str, index: int) -> str:
    return f"c:{token}:{index}"


def delete_data(token: str, confirm: bool) -> str:
    return f"d:{token}:{'y' if confirm else 'n'}"


def parse_press(data: str | None) -> Press | None:
    """The press behind callback data, or None for anything this version did not issue."""
    parts = (data or "").split(":")
    if len(parts) != 3 or not parts[1]:
        return None
    kind, token, arg = parts
    if kind == "c" and arg.isdigit():
        return Press("choice", token, index=int(arg))
    if kind == "d" and arg in ("y", "n"):
        return Press("delete", token, confirm=arg == "y")
    return None


def _button_text(label: str) -> str:
    label = " ".join(label.split()) or "…"
    return label if len(label) <= _LABEL_UNITS else label[: _LABEL_UNITS - 1] + "…"


def _per_row(labels: list[str]) -> int:
    longest = max((len(x) for x in labels), default=0)
    if longest <= 6:
        return 3
    if longest <= 14:
        return 2
    return 1


def choice_keyboard(token: str, labels: list[str]) -> InlineKeyboardMarkup:
    labels = labels[:MAX_BUTTONS]
    width = _per_row(labels)
    buttons = [InlineKeyboardButton(_button_text(x), callback_data=choice_data(token, i)) for i, x in enumerate(labels)]
    return InlineKeyboardMarkup([buttons[i : i + width] for i in range(0, len(buttons), width)])


def delete_keyboard(token: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("确认删除 / Delete", callback_data=delete_data(token, True)),
                InlineKeyboardButton("取消 / Cancel", callback_data=delete_data(token, False)),
            ]
        ]
    )
