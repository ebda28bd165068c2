"""`policybot serve`: the HTTP server of one or several worker processes, the composition root
that puts the front ends on one ASGI app (the front ends never import each other).

Usage:
    policybot serve [--host 127.0.0.1 --port 8000] [--workers N]
    app = build_app(settings)        # in code and tests; assistant= to pass one in

What each worker serves:
    the web front end (bot/web: chat, copilot, HTTP API)      always
    the Telegram webhook at the path of POLICYBOT_TELEGRAM_WEBHOOK_URL (bot/telegram/asgi.py)
                                                              when TELEGRAM_BOT_TOKEN is set too

With `--workers N` uvicorn starts N processes on one socket and restarts one that dies (kill -9
included); each builds its own app from the environment (`app_from_env`), keeps the retrieval
index read-only and keeps no state that matters in memory: sessions, web transcripts, copilot
staff, logins and cases, the form-signing key and the Telegram inbox and claims are in the shared
store (POLICYBOT_DATABASE_URL on PostgreSQL; without it the SQLite files of one data dir, which
suits workers on one machine). Only the per-client rate-limit buckets are per worker (README
"Scaling out").

Exit codes: 0 stopped; 1 the app could not be built (a message says what to fix); 2 bad usage.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger("bot.serve")
STARTUP_FAILURE = 3  # uvicorn's code for a worker that cannot start: the supervisor stops, no restart loop
RESERVED = ("/api", "/copilot", "/static", "/docs", "/docs-static", "/healthz", "/articles", "/chat", "/openapi.json")


NO_TOKEN = "设置了 POLICYBOT_TELEGRAM_WEBHOOK_URL 但没有 TELEGRAM_BOT_TOKEN：请设置机器人令牌，或去掉这个网址"


class ServeError(Exception):
    """A configuration the server cannot start with; the message says what to change."""


def configure_logging() -> None:
    """INFO to stderr, library floors that keep user text and the token out (bot/logs.py)."""
    from bot.logs import protect

    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("jieba", "chromadb", "httpx", "httpcore", "multipart", "python_multipart"):
        logging.getLogger(name).setLevel(logging.WARNING)
    protect()


def webhook_path(url: str) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    path = parsed.path or "/"
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ServeError(f"POLICYBOT_TELEGRAM_WEBHOOK_URL 不是完整的网址：请写成 https://域名/tg/hook 这样的形式（现在是 {url[:80]}）")
    if path == "/" or any(path == r or path.startswith(r + "/") for r in RESERVED):
        raise ServeError("POLICYBOT_TELEGRAM_WEBHOOK_URL 的路径与网页版的地址冲突：请用单独的路径，例如 https://域名/tg/hook")
    return path


def build_app(settings, *, assistant=None):
    """The web app for `settings`, with the Telegram webhook route when a token and a webhook URL
    are configured."""
    from bot.web import create_app

    if assistant is None:
        from bot.dialogue.assistant import build_assistant

        assistant = build_assistant(settings)
    routes, lifespans, unguarded = [], [], []
    if settings.telegram_webhook_url:
        if not settings.telegram_bot_token:
            raise ServeError(NO_TOKEN)
        path = webhook_path(settings.telegram_webhook_url)
        from starlette.routing import Route

        from bot.telegram.asgi import TelegramWebhook

        hook = TelegramWebhook(settings, assistant, settings.telegram_webhook_url)
        routes.append(Route(path, hook, include_in_schema=False))
        lifespans.append(hook.running)
        unguarded.append(path)
    return create_app(assistant, settings, routes=routes, lifespans=lifespans, unguarded=unguarded)


def _explain(exc: Exception) -> str:
    from bot.config import SettingsError
    from bot.storage import StoreError

    if isinstance(exc, ServeError | SettingsError):
        return str(exc)
    if isinstance(exc, StoreError):
        return (f"无法打开数据库（{exc}）。请检查 POLICYBOT_DATABASE_URL 指向的 PostgreSQL 是否在运行、"
                "账号能否登录，或检查数据目录是否可写，然后重试。")
    return f"网页服务无法启动：{type(exc).__name__}。请检查数据目录（POLICYBOT_DATA_DIR）和各项设置后重试。"


def app_from_env():
    """The uvicorn factory for `--workers N`: each worker reads the environment itself. A worker
    that cannot build its app says why and exits with uvicorn's start-up failure code (the
    supervisor then stops instead of restarting it forever)."""
    from bot.config import load_settings

    configure_logging()
    try:
        return build_app(load_settings())
    except Exception as exc:  # noqa: BLE001 - the reason goes to the log, no traceback
        log.error("worker cannot start: %s", _explain(exc))
        sys.exit(STARTUP_FAILURE)


def serve(settings, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> int:
    import uvicorn

    configure_logging()
    common = dict(host=host, port=port, access_log=False, log_config=None, server_header=False)
    try:  # what is wrong with the settings is said here, once, not by every worker
        hook = webhook_path(settings.telegram_webhook_url) if settings.telegram_webhook_url else None
        if hook and not settings.telegram_bot_token:
            raise ServeError(NO_TOKEN)
        app = None if workers > 1 else build_app(settings)
    except Exception as exc:  # noqa: BLE001
        print(_explain(exc), file=sys.stderr)
        return 1
    extra = f"；Telegram 网络钩子 {hook}" if hook else ""
    print(f"policybot 网页版：http://{host}:{port}/  （{workers} 个进程；客服工作台 /copilot，接口文档 /docs{extra}；"
          "Ctrl+C 停止）", flush=True)
    if workers > 1:
        return _run_workers(workers, common)
    uvicorn.run(app, **common)
    return 0


def _run_workers(workers: int, common: dict) -> int:
    """uvicorn's supervisor (what uvicorn.run does for workers > 1), and 1 when it stopped because a
    worker could not start (uvicorn.run would return as if all was well)."""
    from uvicorn import Config
    from uvicorn.supervisors import Multiprocess

    config = Config("bot.serve:app_from_env", factory=True, workers=workers, **common)
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
        print("网页服务的工作进程无法启动，已停止：原因见上面的日志（数据目录、索引或各项设置）。", file=sys.stderr)
        return 1
    return 0
