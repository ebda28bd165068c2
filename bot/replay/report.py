"""The replay report: a rich table per file, failure details, and the summary line.

    print_dialogue(console, result)       # table: turn | input | result | ms, then failures
    print_summary(console, results)       # exactly "N passed, M failed" (dialogues)
    failure_text(result)                  # the same failure details as plain text (JUnit, pytest)

A failure names the file and line, the turn number, what the user said, the expectation key,
expected vs actual, and then the whole actual reply: text, citations, benefits, asks, choices.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.dialogue.reply import Reply
from bot.replay.expectations import Check
from bot.replay.loader import display_path
from bot.replay.runner import DialogueResult, TurnResult

_TEXT_KEYS = {"reply_contains", "reply_not_contains", "reply_matches", "reply_not_matches"}


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, default=str)


def title(result: DialogueResult) -> str:
    return f"{display_path(result.dialogue.path)} — {result.dialogue.name}"


def print_dialogue(console: Console, result: DialogueResult) -> None:
    mark = Text("PASS ", style="bold green") if result.ok else Text("FAIL ", style="bold red")
    console.print(mark + Text(f"{title(result)}  ({result.ms:.0f} ms)"), soft_wrap=True)
    table = Table(show_lines=False)
    table.add_column("turn", justify="right")
    table.add_column("input")
    table.add_column("result")
    table.add_column("ms", justify="right")
    for t in result.turns:
        status = Text("pass", style="green") if t.ok else Text("FAIL", style="bold red")
        table.add_row(str(t.number), Text(_short(t.turn.said)), status, f"{t.ms:.0f}")
    for i in range(result.not_run):
        n = len(result.turns) + i + 1
        table.add_row(str(n), Text(_short(result.dialogue.spec.turns[n - 1].said)), Text("not run", style="yellow"), "")
    console.print(table)
    if not result.ok:
        console.print(Text(failure_text(result), style="red"), soft_wrap=True)


def print_summary(console: Console, results: list[DialogueResult], *, not_run: int = 0) -> None:
    if not_run:
        console.print(Text(f"stopped at the first failing dialogue (--fail-fast): {not_run} not run"))
    console.print(Text(summary_line(results), style="bold"))


def summary_line(results: list[DialogueResult]) -> str:
    passed = sum(1 for r in results if r.ok)
    return f"{passed} passed, {len(results) - passed} failed"


# ---------------------------------------------------------------- plain-text failure details


def failure_text(result: DialogueResult) -> str:
    return "\n".join(failure_lines(result))


def failure_lines(result: DialogueResult) -> list[str]:
    lines = [f"FAILED {title(result)}  (session {result.session})"]
    for t in result.failed_turns:
        lines.extend(turn_failure_lines(result, t))
    if result.not_run:
        lines.append(f"  {result.not_run} later turn(s) not run")
    return lines


def turn_failure_lines(result: DialogueResult, t: TurnResult) -> list[str]:
    where = f"{display_path(result.dialogue.path)}:{t.line}" if t.line else display_path(result.dialogue.path)
    said = f"user: {t.turn.user}" if t.turn.user is not None else f"choice: {t.turn.choice}"
    lines = [f"  turn {t.number} ({where})  {said}"]
    if t.error:
        lines.append(f"    ✗ {t.error}")
    for c in t.failures:
        lines.extend(check_lines(c))
    if t.reply is not None:
        lines.extend(reply_lines(t.reply))
    return lines


def check_lines(c: Check) -> list[str]:
    actual = "(the reply text below)" if c.key in _TEXT_KEYS else show(c.actual)
    out = [f"    ✗ {c.key}", f"        expected: {show(c.expected)}", f"        actual:   {actual}"]
    if c.why:
        out.append(f"        ({c.why})")
    return out


def reply_lines(reply: Reply) -> list[str]:
    out = ["    actual reply:"]
    out.extend(f"      | {line}" for line in (reply.reply.splitlines() or [""]))
    out.append(f"    covered: {str(reply.covered).lower()}")
    cites = ", ".join(f"{c.article} ({c.clause})" for c in reply.citations) or "none"
    out.append(f"    citations: {cites}")
    if reply.benefits:
        out.append("    benefits:")
        out.extend(
            f"      - {b.article} ({b.clause}) {b.item}: {b.amount_yuan} 元 {b.basis} {b.period}  {b.formula}"
            for b in reply.benefits
        )
    else:
        out.append("    benefits: none")
    out.append(f"    asks: {show(list(reply.asks))}")
    out.append(f"    choices: {show(list(reply.choices))}")
    if reply.profile:
        out.append(f"    profile: {show(reply.profile)}")
    return out
