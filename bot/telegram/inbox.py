"""A durable inbox: an update is on disk before Telegram can be told it arrived.

PTB's Updater awaits `update_queue.put(update)` for every update of a getUpdates batch and only
then moves its offset past the batch; the next getUpdates call confirms it and Telegram forgets
those updates. The webhook server (webhook.py) answers 200 only after its `put` returned. So an
Application whose update queue writes each Update to TelegramStore's inbox inside `put` cannot
lose a fetched update to a kill -9: it stays in the inbox until ChatOrderedProcessor marks it
processed (mark_processed deletes it in the same transaction), and `replay` puts whatever is left
back in the queue, oldest first, at the next start, before polling or the webhook begins. A
replayed update that Telegram also redelivers is processed once: the processor skips an update id
already marked processed.
"""

from __future__ import annotations

import asyncio
import json
import logging

from telegram import Bot, Update

from bot.telegram.processor import chat_key
from bot.telegram.store import TelegramStore

log = logging.getLogger(__name__)


class InboxQueue(asyncio.Queue):
    """`ApplicationBuilder().update_queue(InboxQueue(store))`. Anything that is not an Update (PTB's
    stop signal) passes through untouched."""

    def __init__(self, store: TelegramStore):
        super().__init__()
        self.store = store

    def put_nowait(self, item: object) -> None:  # asyncio.Queue.put ends here too
        if isinstance(item, Update):
            self.store.inbox_add(item.update_id, chat_key(item), item.to_json())
        super().put_nowait(item)

    def replay(self, bot: Bot) -> int:
        """Queue the inbox's updates again (they are stored already); how many were queued."""
        queued, undecodable = 0, []
        for update_id, data in self.store.inbox_pending():
            try:
                update = Update.de_json(json.loads(data), bot)
            except Exception as exc:  # a damaged row must not stop the start-up
                log.warning("inbox update %s cannot be decoded (%s); dropped", update_id, type(exc).__name__)
                undecodable.append(update_id)
                continue
            super().put_nowait(update)
            queued += 1
        self.store.inbox_drop(*undecodable)
        if queued:
            log.info("%d update(s) received but not processed before the last stop: processing them now", queued)
        return queued
