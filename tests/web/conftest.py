"""Fixtures for the web front end (helpers in web_harness.py): a running app with the real engine,
httpx clients, and Playwright driving Debian's chromium."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from web_harness import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    STAFF_NAME,
    STAFF_PASSWORD,
    need_chromium,
    running_app,
)


@pytest.fixture(scope="module")
def server(knowledge, data_dir, tmp_path_factory):
    """A running app with one staff account; yields (base_url, app)."""
    with running_app(knowledge, data_dir, tmp_path_factory.mktemp("web")) as (base, app):
        app.state.web.accounts.add(STAFF_NAME, STAFF_PASSWORD)
        yield base, app


@pytest.fixture(scope="module")
def base_url(server) -> str:
    return server[0]


@pytest.fixture()
def client(base_url) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as c:
        yield c


# --- the browser --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser():
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, base_url):
    context = browser.new_context(base_url=base_url, locale="zh-CN", viewport={"width": 1100, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.js_errors = errors
    yield pg
    context.close()


@pytest.fixture(scope="session")
def artifacts():
    """tests/web/artifacts/: screenshots and measurements kept after the run (CI keeps the folder)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
