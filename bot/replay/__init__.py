"""Replay dialogue files against the bot (CONTRACT.md §4) and record new ones.

    from bot.replay import replay_paths, engine_transport_factory, Recorder
    code = replay_paths([Path("tests/dialogues")], transport_factory=engine_transport_factory(),
                        junit=Path("replay.xml"), fail_fast=False)    # 0 pass, 1 failures, 2 invalid
    recorder = Recorder("name"); recorder.add(user="…", choice=None, reply=reply); recorder.write(path)

Modules, one job each:
    schema.py        pydantic models of a replay file (strict, unknown keys are errors)
    loader.py        finds files, loads YAML, turns every problem into ``file:line: what is wrong``
    expectations.py  one checker per expectation key -> Check(ok, expected, actual)
    transports.py    Transport protocol; EngineTransport (in-process), HttpTransport (POST /api/turn)
    runner.py        runs a dialogue through a transport
    suite.py         replay_paths(): every file, the report, JUnit (the CLI entry)
    report.py        rich table per file, failure details, "N passed, M failed"
    junit.py         JUnit XML, one testcase per dialogue
    recorder.py      writes a replay file from a live dialogue

Errors:
    ReplayFileError  a path or replay file that cannot be run (exit 2)
    TransportError   the bot could not be reached or did not answer a Reply (a failed turn)
"""

from bot.replay.loader import Dialogue, ReplayFileError, collect_paths, load_dialogue
from bot.replay.recorder import Recorder
from bot.replay.runner import DialogueResult, TurnResult, run_dialogue
from bot.replay.suite import replay_paths
from bot.replay.transports import (
    EngineTransport,
    HttpTransport,
    Transport,
    TransportError,
    engine_transport_factory,
    http_transport_factory,
)

__all__ = [
    "Dialogue",
    "DialogueResult",
    "EngineTransport",
    "HttpTransport",
    "Recorder",
    "ReplayFileError",
    "Transport",
    "TransportError",
    "TurnResult",
    "collect_paths",
    "engine_transport_factory",
    "http_transport_factory",
    "load_dialogue",
    "replay_paths",
    "run_dialogue",
]
