"""Retention: sessions, web chat and API transcripts, Telegram rows and moved-aside corrupt copies
expire after POLICYBOT_RETENTION_DAYS (default 30), on either backend. Copilot cases are staff
records: they stay until deleted.

    policybot purge [--days N] [--json]        # what a daily timer runs (README "Scaling out")

The session store also purges by itself, at most once an hour per process (store.py), so a
deployment without the timer still forgets. /delete erases one session at once; a corrupt copy
(`*.corrupt-*`, moved aside because it failed its integrity check) cannot be searched for one
user's rows, so it lives at most the retention period.
"""

from __future__ import annotations

import time
from pathlib import Path

DAY = 86_400


def purge(settings, *, days: float | None = None, now: float | None = None) -> dict:
    """Delete everything older than the retention period; counts of what went, per kind."""
    from bot.dialogue.store import open_session_store
    from bot.telegram.store import TelegramStore
    from bot.web.store import WebStore

    days = settings.retention_days if days is None else days
    cutoff = (time.time() if now is None else now) - days * DAY
    report: dict = {"retention_days": days, "backend": "postgres" if settings.database_url else "sqlite"}
    data_dir = Path(settings.data_dir)
    if settings.database_url or settings.sessions_db.exists():
        report["sessions"] = open_session_store(settings).purge(cutoff)
    else:
        report["sessions"] = 0
    if settings.database_url or settings.telegram_db.exists():
        store = TelegramStore.for_settings(settings, bot_id=0)
        try:
            report["telegram"] = store.purge(cutoff)
        finally:
            store.close()
    if settings.database_url or settings.web_db.exists():
        web = WebStore.for_settings(settings)
        try:
            report["web"] = web.purge_before(cutoff)
        finally:
            web.close()
    else:
        report["web"] = 0
    removed = []
    if data_dir.is_dir():
        for path in sorted(data_dir.glob("*.corrupt-*")):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path.name)
    report["corrupt_copies"] = len(removed)
    return report
