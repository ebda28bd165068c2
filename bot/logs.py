"""Logging that never carries user text or figures, at any level (BAD_INPUTS 22).

Our own log lines name ids, counts, classes and the databases' own words, never message text. The
libraries are the risk: at DEBUG python-telegram-bot logs every Bot API call with its parameters
and return value (getUpdates: the users' messages; sendMessage: our replies with their figures),
and httpx logs each request URL at INFO (the bot token is in it). `protect()` puts a floor under
those loggers (their levels) and, on every handler of the root logger, a filter that drops their
records below the floor, so even a logger someone set to DEBUG later cannot reach a log file.

    telegram.*  INFO     httpx, httpcore, hpack, psycopg.pool  WARNING     psycopg, asyncio  INFO

A logger is only ever raised to its floor (a quieter root stays quiet).
"""

from __future__ import annotations

import logging

FLOORS = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "hpack": logging.WARNING,
    "psycopg": logging.INFO,
    "psycopg.pool": logging.WARNING,  # a line per connection returned at INFO
    "psycopg_pool": logging.WARNING,
    "asyncio": logging.INFO,
}


def _floor(name: str) -> int | None:
    best = None
    for prefix, level in FLOORS.items():  # the longest matching prefix decides
        if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, level)
    return best[1] if best else None


class ThirdPartyFloor(logging.Filter):
    """Drops records of the FLOORS loggers below their floor."""

    def filter(self, record: logging.LogRecord) -> bool:
        floor = _floor(record.name)
        return floor is None or record.levelno >= floor


def protect() -> None:
    """Floors on the library loggers and the filter on every root handler (idempotent)."""
    for name, level in FLOORS.items():
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < level:
            logger.setLevel(level)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, ThirdPartyFloor) for f in handler.filters):
            handler.addFilter(ThirdPartyFloor())
