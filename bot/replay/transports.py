"""How a replay reaches the bot: a small swappable Transport.

    transport = EngineTransport(build_engine(settings))    # in-process, engine.turn(...)
    transport = HttpTransport("http://127.0.0.1:8000")     # a running `policybot serve`
    reply = transport.turn("replay-1a2b", "高企能拿多少", None)
    reply = transport.turn("replay-1a2b", None, "企业")     # pressing a quick-reply button
    transport.end_session("replay-1a2b")
    transport.close()

HTTP API used by HttpTransport (the server implements exactly this):

    POST {base_url}/api/turn
    Content-Type: application/json
    {"session": "replay-1a2b", "text": "高企能拿多少", "choice": null}
        -- exactly one of "text" / "choice" is a string, the other null

    200 OK, Content-Type: application/json
    {"session": "replay-1a2b", "reply": "...", "covered": true, "citations": [...],
     "benefits": [...], "asks": [...], "choices": [...], "profile": {...}}
        -- the Reply object of CONTRACT.md §3 (extra fields such as "intent" allowed)

    any other status: an error; the body's text is shown in the replay report

Errors:
    TransportError           the bot could not be reached or answered with something not a Reply
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import httpx
from pydantic import ValidationError

from bot.dialogue.reply import Reply


class TransportError(Exception):
    """The bot could not be reached, or its answer was not a Reply. The message says which."""


@runtime_checkable
class Transport(Protocol):
    def turn(self, session: str, text: str | None, choice: str | None) -> Reply:
        """One user turn: typed ``text`` or a pressed ``choice`` label (exactly one is not None)."""
        ...

    def end_session(self, session: str) -> None:
        """The dialogue is over; the transport may erase the session."""
        ...

    def close(self) -> None: ...


class EngineTransport:
    """Calls ``engine.turn(session_id, text, choice=...)`` in-process."""

    def __init__(self, engine: Any, *, delete_sessions: bool = True) -> None:
        self.engine = engine
        self.delete_sessions = delete_sessions

    def turn(self, session: str, text: str | None, choice: str | None) -> Reply:
        reply = self.engine.turn(session, text, choice=choice)
        return reply if isinstance(reply, Reply) else Reply.model_validate(reply)

    def end_session(self, session: str) -> None:
        delete = getattr(self.engine, "delete_session", None)
        if self.delete_sessions and delete is not None:
            delete(session)

    def close(self) -> None:
        close = getattr(self.engine, "close", None)
        if close is not None:
            close()


class HttpTransport:
    """Posts each turn to ``{base_url}/api/turn`` (see the module docstring for the shape)."""

    def __init__(self, base_url: str, *, timeout: float = 60.0, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout)

    def turn(self, session: str, text: str | None, choice: str | None) -> Reply:
        url = f"{self.base_url}/api/turn"
        try:
            response = self.client.post(url, json={"session": session, "text": text, "choice": choice})
        except httpx.HTTPError as e:
            raise TransportError(f"POST {url} failed: {type(e).__name__}: {e}") from e
        if response.status_code != 200:
            raise TransportError(f"POST {url} answered {response.status_code}: {response.text[:300]}")
        try:
            return Reply.model_validate(response.json())
        except (ValueError, ValidationError) as e:
            raise TransportError(f"POST {url} did not answer a Reply object: {str(e)[:300]}") from e

    def end_session(self, session: str) -> None:
        """Nothing to do: the HTTP API has no delete call; server sessions expire on their own."""

    def close(self) -> None:
        self.client.close()


TransportFactory = Callable[[], Transport]


def engine_transport_factory(settings: Any = None) -> TransportFactory:
    """A factory building the real engine on first use (``settings`` default: load_settings())."""

    def make() -> Transport:
        from bot.config import load_settings
        from bot.dialogue.engine import build_engine

        return EngineTransport(build_engine(settings if settings is not None else load_settings()))

    return make


def http_transport_factory(base_url: str, *, timeout: float = 60.0) -> TransportFactory:
    return lambda: HttpTransport(base_url, timeout=timeout)
