"""`policybot serve`: the web chat (`/`), the helpdesk copilot (`/copilot`) and the HTTP API (§6).

Usage:
    policybot serve [--host 127.0.0.1 --port 8000] [--workers N]     # bot/serve.py runs uvicorn
    # in code and tests: the Assistant and the settings are passed in, never looked up
    app = create_app(build_assistant(settings), settings)
    uvicorn.run(app, host="127.0.0.1", port=8000)

Layout of bot/web/:
    app.py       create_app()
    api.py       the JSON API          chat.py     the web chat pages
    copilot.py   staff pages + API     auth.py     accounts, logins, lockout, CSRF
    turns.py     one turn: session namespaces, option checks
    render.py    Reply -> what a page shows        drafts.py  threads, drafts, Markdown export
    security.py  size limit, rate limit, CSP and headers, access log
    errors.py    the error tree and handlers       store.py   web.sqlite3 or PostgreSQL
    templates/   Jinja2 (autoescape)               static/    CSS and the little JS (no build step)
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader

from bot.dialogue.assistant import Assistant
from bot.storage.errors import StoreError
from bot.web import api, chat, copilot, errors
from bot.web.auth import Accounts, load_secret
from bot.web.security import Guard, RateLimiter
from bot.web.store import WebStore
from bot.web.turns import Turns

HERE = Path(__file__).resolve().parent
log = logging.getLogger("bot.web")
WARM_UP_TEXT = "国家高新技术企业能拿多少"


class AppState:
    """What the routers share; built once per process by create_app()."""

    def __init__(self, assistant: Assistant, settings, *, rate_limit: bool = True):
        from calculators.catalogue import load_catalogue
        from retrieval.corpus import load_policy

        self.assistant = assistant
        self.settings = settings
        self.store = WebStore.for_settings(settings)
        self.turns = Turns(assistant, self.store)
        self.accounts = Accounts(self.store, settings)
        self._secret: bytes | None = None
        self._secret_guard = threading.Lock()
        self.policy = load_policy()
        self.catalogue = load_catalogue()
        self.templates = templates()
        self.ready = threading.Event()
        self.warm_error = ""
        self.limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst) if rate_limit else None

    @property
    def secret(self) -> bytes:
        """The form-signing key, loaded at first use: a worker starts (and answers 503 for what needs
        the store) while its database is down, and recovers by itself when it is back."""
        if self._secret is None:
            with self._secret_guard:
                if self._secret is None:
                    self._secret = load_secret(self.settings.data_dir, self.store)
        return self._secret

    def warm_up(self) -> None:
        """Load the retrieval index (building it on a fresh data dir) with one throw-away turn."""
        try:
            hook = getattr(self.assistant, "warm_up", None)
            if callable(hook):
                hook()
            else:
                sid = "warmup-" + self.assistant.new_session_id()
                self.assistant.turn(sid, WARM_UP_TEXT)  # answers even with the store down (unsaved)
                try:
                    self.assistant.delete_session(sid)
                except StoreError as exc:  # the index is loaded all the same; the store is the turns' business
                    log.warning("warm-up session not deleted: %s", exc)
            self.ready.set()
        except Exception as exc:  # healthz reports it; the turns themselves still answer politely
            self.warm_error = type(exc).__name__
            log.error("index warm-up failed: %s", type(exc).__name__)


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True)
    from bot.web.render import article_label, chinese_number

    env.globals.update(article_label=article_label, chinese_number=chinese_number)
    env.filters["clock"] = lambda t: time.strftime("%m-%d %H:%M", time.localtime(t))
    return env


def _swagger_dir() -> Path | None:
    """Swagger UI's files, shipped by the fastapi-offline package (no CDN: this may run offline)."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "static"
    return path if (path / "swagger-ui-bundle.js").exists() else None


def create_app(assistant: Assistant, settings, *, rate_limit: bool = True, routes: Sequence = (),
               lifespans: Sequence[Callable[[], AbstractAsyncContextManager]] = (),
               unguarded: Sequence[str] = ()) -> FastAPI:
    """The web app. What another front end adds (bot/serve.py: the Telegram webhook) comes in as
    `routes` (Starlette routes), `lifespans` (entered after start-up, left before shutdown) and
    `unguarded` paths, which skip the size and rate limits (they authenticate and limit themselves)."""
    state = AppState(assistant, settings, rate_limit=rate_limit)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        threading.Thread(target=state.warm_up, name="policybot-warm-up", daemon=True).start()
        async with AsyncExitStack() as stack:
            for extra in lifespans:
                await stack.enter_async_context(extra())
            yield

    app = FastAPI(
        title="policybot 政策助手 API",
        description="鄂尔多斯科技“突围”工程30条政策助手：对话、条款、测算。错误一律返回 "
                    "`{\"error\": 中文说明, \"code\": 机器码}`。",
        version="1",
        docs_url=None, redoc_url=None, openapi_url="/openapi.json", lifespan=lifespan,
    )
    app.state.web = state
    app.state.templates = state.templates
    errors.install(app)
    app.router.routes[0:0] = list(routes)  # before ours: the composition root checked they clash with none
    app.include_router(api.build_router(state))
    app.include_router(chat.build_router(state))
    for router in copilot.build_routers(state):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    swagger = _swagger_dir()
    if swagger is not None:
        app.mount("/docs-static", StaticFiles(directory=swagger), name="docs-static")

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    async def docs():
        return HTMLResponse(state.templates.get_template("docs.html").render(swagger=swagger is not None))

    error_template = state.templates.get_template("error.html")
    app.add_middleware(Guard, limiter=state.limiter, unguarded=tuple(unguarded),
                       error_page=lambda status, message: error_template.render(status=status, message=message))
    return app
