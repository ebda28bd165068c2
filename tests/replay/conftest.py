"""Fixtures for the replay tests; the scripted engine lives in replay_fakes.py."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from replay_fakes import ScriptedEngine
from rich.console import Console


@pytest.fixture
def engine() -> ScriptedEngine:
    return ScriptedEngine()


@pytest.fixture
def console_out() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=200, color_system=None, force_terminal=False), buf


@pytest.fixture
def write(tmp_path: Path):
    """write("name.yaml", text) -> path, in a fresh folder."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write
