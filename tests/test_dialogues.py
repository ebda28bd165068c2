"""Every golden dialogue in tests/dialogues/**/*.yaml, replayed through the real engine.

One test per file; a failure shows the same details as `policybot replay` (file, line, turn,
user text, expectation, expected vs actual, the whole reply). Refresh or add goldens with
`policybot chat --record tests/dialogues/<name>.yaml`, then review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.replay import EngineTransport, load_dialogue, run_dialogue
from bot.replay.report import failure_text

DIALOGUES = Path(__file__).resolve().parent / "dialogues"
FILES = sorted(p for p in DIALOGUES.rglob("*") if p.suffix in (".yaml", ".yml"))


@pytest.fixture(scope="module")
def transport(tmp_path_factory):
    from bot.config import Settings
    from bot.dialogue.engine import build_engine

    engine = build_engine(Settings(POLICYBOT_DATA_DIR=tmp_path_factory.mktemp("policybot-data")))
    return EngineTransport(engine)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(DIALOGUES)) for p in FILES])
def test_dialogue(path: Path, transport: EngineTransport):
    result = run_dialogue(load_dialogue(path), transport)
    if not result.ok:
        pytest.fail(failure_text(result), pytrace=False)
