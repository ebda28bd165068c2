"""Replaying a suite: load every file, run each dialogue, print the report, write JUnit.

    code = replay_paths([Path("tests/dialogues")], transport_factory=factory, junit=Path("out.xml"))

Kept apart from runner.py (one dialogue through a transport) so that the report and the JUnit
writer, which read the runner's results, are not imported by it: the imports point one way,
suite -> report, junit -> runner.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from bot.replay import junit as junit_xml
from bot.replay import report
from bot.replay.loader import Dialogue, ReplayFileError, collect_paths, display_path, load_dialogue
from bot.replay.runner import DialogueResult, run_dialogue
from bot.replay.transports import TransportFactory


def load_all(paths: list[Path]) -> tuple[list[Dialogue], list[ReplayFileError]]:
    """Every dialogue under ``paths``, and every file problem (one per invalid file)."""
    try:
        files = collect_paths(paths)
    except ReplayFileError as e:
        return [], [e]
    dialogues: list[Dialogue] = []
    errors: list[ReplayFileError] = []
    for f in files:
        try:
            dialogues.append(load_dialogue(f))
        except ReplayFileError as e:
            errors.append(e)
    return dialogues, errors


def replay_paths(
    paths: list[Path],
    *,
    transport_factory: TransportFactory,
    junit: Path | None = None,
    fail_fast: bool = False,
    console: Console | None = None,
) -> int:
    """Replay every file under ``paths``; print a report; return the exit code (0 / 1 / 2)."""
    console = console or Console()
    dialogues, errors = load_all([Path(p) for p in paths])
    if errors:
        for e in errors:
            print(e, file=sys.stderr)
        return 2
    try:
        transport = transport_factory()
    except Exception as e:  # a one-line message, not a traceback
        print(f"replay: cannot start the bot: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    results: list[DialogueResult] = []
    try:
        for dialogue in dialogues:
            result = run_dialogue(dialogue, transport)
            results.append(result)
            report.print_dialogue(console, result)
            if fail_fast and not result.ok:
                break
    finally:
        _close(transport)
    skipped = len(dialogues) - len(results)
    report.print_summary(console, results, not_run=skipped)
    if junit is not None:
        junit_xml.write_junit(results, Path(junit))
        console.print(f"JUnit XML written to {display_path(Path(junit))}", markup=False, highlight=False)
    return 0 if all(r.ok for r in results) else 1


def _close(transport: Any) -> None:
    close = getattr(transport, "close", None)
    if close is not None:
        close()
