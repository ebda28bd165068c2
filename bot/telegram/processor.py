"""Concurrent updates, in order per chat, each processed once.

PTB starts one task per update in arrival order and hands it to `do_process_update`. Everything up
to the per-chat lock below is synchronous (no await), so the lock's FIFO queue holds a chat's
updates in the order Telegram sent them; different chats run in parallel, at most `parallel` at a
time. An update whose id is already recorded as processed (a redelivery after a restart, or the
same update twice) is dropped without running, and so is one another worker has claimed or
processed (several webhook workers on one database, store.py `claim`). Every update that ran is
marked processed, which also deletes it from the store's inbox (inbox.py); one whose processing was
cut short (a kill, a cancelled task) stays there and is replayed at the next start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.telegram.store import TelegramStore

log = logging.getLogger(__name__)


def chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.callback_query is not None and update.callback_query.from_user is not None:
        return update.callback_query.from_user.id  # a press without its message: the private chat
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, store: TelegramStore, parallel: int = 16):
        # PTB's own semaphore must never make a task wait (that could reorder a chat's updates);
        # the real bound on parallel work is `self._parallel`, taken inside the chat lock.
        super().__init__(max_concurrent_updates=100_000)
        self.store = store
        self._parallel = asyncio.Semaphore(parallel)
        self._chats: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    def _duplicate(self, update: object) -> bool:
        return isinstance(update, Update) and self.store.is_processed(update.update_id)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._duplicate(update):
            _skip(update, coroutine)
            return
        key = chat_key(update)
        if key is None:
            if not await self._claim(update, coroutine):
                return
            try:
                async with self._parallel:
                    await coroutine
                if isinstance(update, Update):  # also takes it out of the inbox
                    await asyncio.to_thread(self.store.mark_processed, update.update_id)
            finally:
                self._release(update)
            return
        lock, waiting = self._chats.setdefault(key, (asyncio.Lock(), [0]))
        waiting[0] += 1
        try:
            async with lock:
                if self._duplicate(update):  # the same update queued twice for this chat
                    _skip(update, coroutine)
                    return
                if not await self._claim(update, coroutine):
                    return
                try:
                    if isinstance(update, Update):  # an older update of the chat another worker is on
                        await asyncio.to_thread(self.store.wait_for_older, key, update.update_id)
                    if self.store.is_inactive(key):  # the user is back: they wrote to us
                        await asyncio.to_thread(self.store.set_inactive, key, False)
                    async with self._parallel:
                        await coroutine
                    if isinstance(update, Update):
                        await asyncio.to_thread(self.store.mark_processed, update.update_id)
                finally:
                    self._release(update)
        finally:
            waiting[0] -= 1
            if waiting[0] == 0:
                self._chats.pop(key, None)

    async def _claim(self, update: object, coroutine: Awaitable[Any]) -> bool:
        """Claim the update in the shared store (another worker may have it, or have answered it)."""
        if not isinstance(update, Update):
            return True
        if await asyncio.to_thread(self.store.claim, update.update_id):
            return True
        _skip(update, coroutine)
        return False

    def _release(self, update: object) -> None:
        """Let go of a claim that was not marked processed (the run was cut short): a replay takes it."""
        if isinstance(update, Update):
            self.store.release(update.update_id)


def _skip(update: object, coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
    log.info("update %s already processed or claimed by another worker; skipped", getattr(update, "update_id", "?"))
