"""Sending to Telegram: a Reply as HTML messages with its keyboard, and what goes wrong doing it.

    sender = Sender(store)
    await sender.send_reply(bot, chat_id, reply)          # chunks, keyboard on the last, live prompt stored
    await sender.edit_prompt(bot, chat_id, message_id, reply)   # multi-select: the question edited in place

Failures, as the Bot API reports them:

    TelegramError
    ├── Forbidden (403: the user blocked the bot)     -> chat marked inactive, nothing retried
    ├── RetryAfter (429)                              -> AIORateLimiter waits and retries (≤ 3), not here
    └── NetworkError
        ├── BadRequest (400) "can't parse entities"   -> the same part resent as plain text
        ├── BadRequest (400) anything else            -> raised to the error handler
        └── TimedOut, 5xx, connection errors          -> retried twice here; the engine turn is not repeated
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from telegram import Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from bot.dialogue.reply import Reply
from bot.telegram.keyboards import choice_keyboard, new_token
from bot.telegram.render import Chunk, render_reply, render_text
from bot.telegram.store import Prompt, TelegramStore

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 3


class Sender:
    def __init__(self, store: TelegramStore):
        self.store = store

    async def send_reply(self, bot, chat_id: int, reply: Reply, reply_to: int | None = None) -> Message | None:
        token = new_token() if reply.choices else None
        markup = choice_keyboard(token, reply.choices) if token else None
        # The prompt is stored before the user can see (and press) it: a kill -9 right after the
        # send must not leave live-looking buttons that the next process calls stale.
        prompt = Prompt(token, None, list(reply.asks), list(reply.choices)) if reply.asks or reply.choices else None
        if prompt is not None:
            await asyncio.to_thread(self.store.save_prompt, chat_id, prompt)
        else:
            await asyncio.to_thread(self.store.clear_prompt, chat_id)
        sent = await self.deliver(bot, chat_id, render_reply(reply), markup, reply_to)
        if sent is not None and prompt is not None:
            await asyncio.to_thread(self.store.save_prompt, chat_id, replace(prompt, message_id=sent.message_id))
        return sent

    async def edit_prompt(self, bot, chat_id: int, message_id: int, reply: Reply) -> bool:
        """Replace the question message with `reply` and fresh buttons; False: send a new one instead."""
        chunks = render_reply(reply)
        if len(chunks) != 1:
            return False
        token = new_token()
        where = {"chat_id": chat_id, "message_id": message_id, "reply_markup": choice_keyboard(token, reply.choices)}
        prompt = Prompt(token, message_id, list(reply.asks), list(reply.choices))
        await asyncio.to_thread(self.store.save_prompt, chat_id, prompt)
        try:
            try:
                await bot.edit_message_text(chunks[0].html, parse_mode=ParseMode.HTML, **where)
            except BadRequest as exc:
                if "parse entities" not in exc.message.lower():
                    raise
                await bot.edit_message_text(chunks[0].plain, **where)
        except Forbidden:
            await asyncio.to_thread(self.store.set_inactive, chat_id, True)
            return True
        except TelegramError as exc:  # too old to edit, not modified, ...: send a new message instead
            log.info("chat %s: editing the prompt failed (%s); sending a new one", chat_id, type(exc).__name__)
            return False
        return True

    async def send_text(self, bot, chat_id: int, text: str, reply_to: int | None = None) -> Message | None:
        return await self.deliver(bot, chat_id, render_text(text), None, reply_to)

    async def deliver(self, bot, chat_id: int, chunks: list[Chunk], markup=None, reply_to=None) -> Message | None:
        sent = None
        for k, chunk in enumerate(chunks):
            last = k == len(chunks) - 1
            sent = await self._send_chunk(bot, chat_id, chunk, markup if last else None, reply_to if k == 0 else None)
            if sent is None:
                return None
        return sent

    async def _send_chunk(self, bot, chat_id: int, chunk: Chunk, markup, reply_to: int | None) -> Message | None:
        extra = {"reply_markup": markup}
        if reply_to is not None:
            extra["reply_parameters"] = ReplyParameters(reply_to, allow_sending_without_reply=True)
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                try:
                    return await bot.send_message(chat_id, chunk.html, parse_mode=ParseMode.HTML, **extra)
                except BadRequest as exc:
                    if "parse entities" not in exc.message.lower():
                        raise
                    log.warning("chat %s: Telegram rejected the HTML of a reply; resending as plain text", chat_id)
                    return await bot.send_message(chat_id, chunk.plain, **extra)
            except Forbidden as exc:
                await asyncio.to_thread(self.store.set_inactive, chat_id, True)
                log.info("chat %s blocked the bot (%s); marked inactive, not retrying", chat_id, exc.message)
                return None
            except BadRequest:
                raise
            except NetworkError as exc:  # TimedOut included; the engine turn is not repeated
                if attempt == SEND_ATTEMPTS:
                    raise
                log.warning("chat %s: send failed (%s), retry %d", chat_id, type(exc).__name__, attempt)
                await asyncio.sleep(0.5 * attempt)
        return None

    async def drop_keyboard(self, query) -> None:
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except TelegramError:
            pass
