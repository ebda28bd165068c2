"""Fixtures for the storage tests: a data dir whose index is shared (symlinked) with the session's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def built_index(data_dir) -> Path:
    """The session's data dir with the retrieval index built (once)."""
    from retrieval.search import build_index

    build_index(data_dir)
    return data_dir


def link_index(target: Path, built: Path) -> Path:
    """`target` as a data dir that reads the built index (retrieval/, models/ symlinked)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("retrieval", "models"):
        (target / name).symlink_to(built / name)
    return target


@pytest.fixture
def linked_data_dir(tmp_path, built_index) -> Path:
    return link_index(tmp_path / "data", built_index)


def cli_env(data_dir: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYBOT_", "TELEGRAM_", "OPENAI_"))}
    env.update(POLICYBOT_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), **extra)
    return env


def run_cli(args: list[str], env: dict, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=timeout, **kwargs)


def ask_json(text: str, env: dict, *extra: str, **kwargs) -> tuple[subprocess.CompletedProcess, dict | None]:
    proc = run_cli(["ask", text, "--json", *extra], env, **kwargs)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return proc, (json.loads(lines[0]) if len(lines) == 1 and lines[0].startswith("{") else None)
