"""The guard every request passes first (one pure-ASGI middleware, outermost of ours):

1. request size: a declared Content-Length over 64 KB → 413 at once; a streamed body is counted
   as it arrives and stopped at the limit (413 through the normal error handler);
2. per-client rate limit (`RateLimiter`, a token bucket per client address, per worker);
   Paths given as `unguarded` (the Telegram webhook, which checks its secret and its own 1 MB
   limit, and whose one client is Telegram) skip 1 and 2;
3. security headers on every answer: a strict Content-Security-Policy (scripts and styles from
   this server only, no inline script, no framing), nosniff, no referrer, no-store for pages
   and API answers;
4. the access log: method, route template, status, milliseconds. Never the path itself (it may
   carry a session id), never a query string or a body;
5. the last resort: an exception nothing else handled → 500 with a Chinese message, logged by
   type and route (its message may quote user text, so it is left out).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import time
import traceback

from starlette.exceptions import HTTPException

MAX_BODY_BYTES = 64 * 1024

access_log = logging.getLogger("bot.web.access")
log = logging.getLogger("bot.web")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# Swagger UI sets inline styles of its own; its scripts still come only from this server.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
_EXEMPT_FROM_LIMIT = ("/static/", "/docs-static/")


class RateLimiter:
    """A token bucket per client: `burst` requests at once, refilled at `per_s` a second.

    A request that finds the bucket empty waits for its token when that is at most `max_wait`
    seconds away (so a client sending one request at a time is slowed to `per_s`, never refused);
    further out it is refused with the seconds to wait. Buckets live in this process (with
    `--workers N` each worker keeps its own)."""

    def __init__(self, per_s: float, burst: int, *, max_wait: float = 1.0, clock=time.monotonic):
        self.per_s = float(per_s)
        self.burst = float(burst)
        self.max_wait = max_wait
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)
        self._lock = threading.Lock()

    def reserve(self, client: str) -> tuple[bool, float]:
        """(allowed, seconds): allowed after waiting `seconds`, or refused, retry after `seconds`."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.per_s)
            wait = (1.0 - tokens) / self.per_s if tokens < 1.0 else 0.0
            if wait > self.max_wait:
                self._buckets[client] = (tokens, now)
                return False, wait - self.max_wait
            self._buckets[client] = (tokens - 1.0, now)
            if len(self._buckets) > 10_000:  # forget clients whose bucket is full again
                full = [c for c, (t, a) in self._buckets.items() if t + (now - a) * self.per_s >= self.burst]
                for c in full:
                    del self._buckets[c]
            return True, wait


def _json_wanted(path: str, headers: dict[bytes, bytes]) -> bool:
    if path.startswith(("/api/", "/copilot/api/")) or path == "/healthz":
        return True
    return b"text/html" not in headers.get(b"accept", b"")


class Guard:
    def __init__(self, app, *, limiter: RateLimiter | None, max_body: int = MAX_BODY_BYTES, error_page=None,
                 unguarded: tuple[str, ...] = ()):
        self.app = app
        self.unguarded = frozenset(unguarded)  # exact paths that enforce their own limits (the Telegram webhook)
        self.limiter = limiter
        self.max_body = max_body
        self.error_page = error_page  # (status, message) -> html, for browsers

    async def _send_error(self, scope, send, status: int, code: str, message: str, extra_headers=()):
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if _json_wanted(scope["path"], headers) or self.error_page is None:
            body = json.dumps({"error": message, "code": code}, ensure_ascii=False).encode()
            ctype = b"application/json"
        else:
            body = self.error_page(status, message).encode()
            ctype = b"text/html; charset=utf-8"
        out = [(b"content-type", ctype), (b"content-length", str(len(body)).encode()), *extra_headers]
        await send({"type": "http.response.start", "status": status, "headers": self._headers(scope, out)})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _headers(scope, headers: list) -> list:
        names = {k.lower() for k, _ in headers}
        out = list(headers)
        csp = DOCS_CSP if scope["path"] == "/docs" else CSP
        out.append((b"content-security-policy", csp.encode()))
        out.extend(h for h in _COMMON_HEADERS if h[0] not in names)
        if b"cache-control" not in names and not scope["path"].startswith(_EXEMPT_FROM_LIMIT):
            out.append((b"cache-control", b"no-store"))
        return out

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_box = {"status": 0}

        async def send_wrapped(message):
            if message["type"] == "http.response.start":
                status_box["status"] = message["status"]
                message = dict(message)
                message["headers"] = self._headers(scope, list(message.get("headers", [])))
            await send(message)

        try:
            await self._handle(scope, receive, send_wrapped)
        except Exception as exc:  # the last resort: nothing above handled it
            log.error("unhandled %s in %s %s\n%s", type(exc).__name__, scope.get("method"),
                      getattr(scope.get("route"), "path", "<unmatched>"),
                      "".join(traceback.format_tb(exc.__traceback__)))
            if not status_box["status"]:
                from bot.web.errors import INTERNAL

                await self._send_error(scope, send_wrapped, 500, "internal_error", INTERNAL)
        finally:
            route = getattr(scope.get("route"), "path", None) or "<unmatched>"
            access_log.info("%s %s %s %.1fms", scope.get("method"), route, status_box["status"],
                            (time.perf_counter() - started) * 1000)

    async def _handle(self, scope, receive, send):
        path = scope["path"]
        if path in self.unguarded:
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_body
            except ValueError:
                too_big = False
            if too_big:
                from bot.web.errors import _STATUS_TEXT

                await self._send_error(scope, send, 413, "too_large", _STATUS_TEXT[413][1])
                return
        if self.limiter is not None and not path.startswith(_EXEMPT_FROM_LIMIT) and path != "/healthz":
            client = (scope.get("client") or ("unknown", 0))[0]
            allowed, seconds = self.limiter.reserve(client)
            if not allowed:
                retry = max(1, math.ceil(seconds))
                await self._send_error(
                    scope, send, 429, "rate_limited",
                    f"请求过于频繁，请 {retry} 秒后再试（每个客户端每秒最多约 {self.limiter.per_s:g} 次请求）。",
                    [(b"retry-after", str(retry).encode())],
                )
                return
            if seconds > 0:
                await asyncio.sleep(seconds)

        received = 0
        limit = self.max_body

        async def receive_limited():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(status_code=413)
            return message

        await self.app(scope, receive_limited, send)
