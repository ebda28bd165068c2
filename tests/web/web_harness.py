"""Helpers for the web tests: the real engine behind a real uvicorn on 127.0.0.1 (in a thread),
httpx clients, and Playwright driving Debian's chromium.

    with serve_in_thread(app) as base_url: ...        # any ASGI app, a free port, stopped after

The engine shares the test session's retrieval index (tests/conftest.py `knowledge`); every server
gets its own data dir for web.sqlite3 and the engine's sessions, so tests never see each other's
staff, cases or chats.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
STAFF_NAME, STAFF_PASSWORD = "wang", "correct-horse-9"
FAST = {"POLICYBOT_RATE_LIMIT_PER_S": 1000, "POLICYBOT_RATE_LIMIT_BURST": 1000}


@contextmanager
def serve_in_thread(app) -> Iterator[str]:
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False,
                            log_config=None, lifespan="on", server_header=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def make_settings(path: Path, **overrides):
    from bot.config import Settings

    values = {"POLICYBOT_DATA_DIR": path, **FAST}
    values.update(overrides)
    return Settings(**values)


def make_engine(knowledge, data_dir, web_dir: Path):
    from bot.dialogue.engine import Engine
    from bot.dialogue.store import SqliteSessionStore

    return Engine(SqliteSessionStore(web_dir / "sessions.sqlite3"), data_dir=data_dir, knowledge=knowledge)


@contextmanager
def running_app(knowledge, data_dir, web_dir: Path, **overrides):
    """(base_url, app) of a fresh app on its own web data dir, with the real engine."""
    from bot.web import create_app

    settings = make_settings(web_dir, **overrides)
    app = create_app(make_engine(knowledge, data_dir, web_dir), settings)
    with serve_in_thread(app) as base:
        wait_ready(base)
        yield base, app


def wait_ready(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError("server never became ready")


def need_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = "chromium is missing: `make test` installs it (apt-get install chromium fonts-wqy-microhei)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def keep_artifact(path: Path, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if path.resolve() != (ARTIFACTS / name).resolve():
        shutil.copyfile(path, ARTIFACTS / name)
