"""Run replay files through a Transport and report (CONTRACT.md §4).

    code = replay_paths([Path("tests/dialogues")], transport_factory=engine_transport_factory())
    result = run_dialogue(load_dialogue(path), transport)     # one file, for tests

Order of work in replay_paths: collect the paths, load and validate *every* file (any invalid
file: one ``file:line: what is wrong`` line per file on stderr, exit 2, nothing is run), then
build the transport once (``transport_factory()``) and run each file in a fresh session
``replay-<uuid>``; the session is ended (erased, for the in-process engine) after the file.

Inside a dialogue every turn runs and all its expectations are checked, so one report shows
every wrong turn. A turn that cannot be sent — a ``choice`` that is not among the previous
reply's choices, or a transport error — fails that turn and stops the dialogue (the remaining
turns would talk to a conversation in the wrong state); they are counted as not run.

Exit codes: 0 every dialogue passed; 1 at least one failed; 2 a path or file is invalid, or the
bot could not be started.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from bot.dialogue.reply import Reply
from bot.replay.expectations import Check, check_all
from bot.replay.loader import Dialogue
from bot.replay.schema import Turn
from bot.replay.transports import Transport


@dataclass
class TurnResult:
    number: int  # 1-based, as in reports
    line: int  # line of the turn in the file (0 when unknown)
    turn: Turn
    reply: Reply | None = None
    checks: list[Check] = field(default_factory=list)
    error: str = ""  # the turn could not be run (bad choice, transport error)
    ms: float = 0.0

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def ok(self) -> bool:
        return not self.error and not self.failures


@dataclass
class DialogueResult:
    dialogue: Dialogue
    session: str
    turns: list[TurnResult] = field(default_factory=list)
    not_run: int = 0  # turns after a turn that could not be sent
    ms: float = 0.0

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.turns) and not self.not_run

    @property
    def failed_turns(self) -> list[TurnResult]:
        return [t for t in self.turns if not t.ok]


def new_session_id() -> str:
    return f"replay-{uuid.uuid4().hex[:12]}"


def run_dialogue(dialogue: Dialogue, transport: Transport, *, session: str | None = None) -> DialogueResult:
    result = DialogueResult(dialogue=dialogue, session=session or new_session_id())
    started = time.perf_counter()
    previous: Reply | None = None
    try:
        for i, turn in enumerate(dialogue.spec.turns):
            line = dialogue.turn_lines[i] if i < len(dialogue.turn_lines) else 0
            tr = TurnResult(number=i + 1, line=line, turn=turn)
            result.turns.append(tr)
            if turn.choice is not None:
                offered = list(previous.choices) if previous is not None else []
                if turn.choice not in offered:
                    tr.error = (
                        f"choice {turn.choice!r} is not one of the previous reply's choices {offered}"
                        if offered
                        else f"choice {turn.choice!r}, but the previous reply offered no choices"
                    )
                    break
            t0 = time.perf_counter()
            try:
                reply = transport.turn(result.session, turn.user, turn.choice)
            except Exception as e:  # any bot failure is this turn's failure, never a crash
                tr.ms = (time.perf_counter() - t0) * 1000
                tr.error = f"the bot raised {type(e).__name__}: {e}"
                break
            tr.ms = (time.perf_counter() - t0) * 1000
            tr.reply = reply
            tr.checks = check_all(reply, turn.expect)
            previous = reply
    finally:
        result.not_run = len(dialogue.spec.turns) - len(result.turns)
        result.ms = (time.perf_counter() - started) * 1000
        try:
            transport.end_session(result.session)
        except Exception:  # cleaning up must not hide the result
            pass
    return result
