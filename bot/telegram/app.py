"""build_application(settings, engine): python-telegram-bot handlers over engine.turn().

Behaviours (README "Telegram"; the flow is drawn in flow.mmd):
- /start, /help -> turn("/help"); /check, /articles, /article N, /reset -> the same slash text.
  /delete asks for confirmation with two buttons; "确认删除" erases the engine session and this
  chat's rows in telegram.sqlite3 (its inbox updates included).
- Text -> turn(text). Button press -> turn(choice=label) when the button belongs to the chat's live
  prompt; any other press (an older message, a keyboard from before a /reset, unknown data) is stale
  and gets a fresh prompt: the live question and its buttons again. The pressed keyboard is removed,
  or, when the engine asks the same question again (multi-select: 已选 …, 完成), that message is
  edited in place with the new selection and fresh buttons.
- Edited messages are never fed to the engine (the dialogue has moved on, so the new text would
  land in the wrong slot); the user gets a note saying how to correct a value instead.
- Stickers, photos, voice, documents, locations, contacts, ... -> a short note and the live prompt
  again; nothing is downloaded or stored.
- Groups: only commands, @mentions of the bot and replies to the bot's messages are answered.
- Errors: 403 marks the chat inactive (no retries); a 400 "can't parse entities" resends the part
  as plain text; timeouts are retried twice (the engine turn is not repeated); anything else is
  logged (type and frames, never the message text) and the user gets an apology.
- LLM mode (an assistant with `calls_model`): while a typed message is with the model, the chat
  shows "typing…" (sendChatAction, renewed every 4 s; a failure to send it is ignored).
- Nothing fetched is lost to a kill: each update is in telegram.sqlite3's inbox before Telegram is
  told it arrived, until it is processed; post_init replays what a killed run left (inbox.py).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import re
import sys
import traceback
from typing import Protocol
from urllib.parse import urlparse

from telegram import BotCommand, Message, Update
from telegram.constants import ChatAction, ChatMemberStatus, ChatType, MessageEntityType
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.dialogue.reply import Reply
from bot.logs import protect
from bot.telegram import texts
from bot.telegram.inbox import InboxQueue
from bot.telegram.keyboards import delete_keyboard, new_token, parse_press
from bot.telegram.processor import ChatOrderedProcessor
from bot.telegram.render import render_text
from bot.telegram.send import Sender
from bot.telegram.store import Prompt, TelegramStore

log = logging.getLogger(__name__)
TYPING_EVERY_S = 4.0  # Telegram shows a chat action for about 5 s

COMMANDS = [
    ("start", "开始 / 使用说明"),
    ("help", "帮助"),
    ("check", "逐项测算可享受的支持"),
    ("articles", "30条政策目录"),
    ("article", "查看某一条，如 /article 15"),
    ("reset", "清空已填写的资料，重新开始"),
    ("delete", "删除本对话保存的全部信息"),
]
ENGINE_TEXT = {"start": "/help", "help": "/help", "check": "/check", "articles": "/articles", "reset": "/reset"}


class EngineLike(Protocol):
    def turn(self, session_id: str, text: str | None = None, *, choice: str | None = None) -> Reply: ...

    def delete_session(self, session_id: str) -> None: ...


def session_id(chat_id: int) -> str:
    return f"tg-{chat_id}"


_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@(\w+))?(?:\s+(.*))?", re.S)


def parse_command(text: str) -> tuple[str, str | None, str] | None:
    """'/article@bot 15' -> ('article', 'bot', '15'); None when the text is not a command."""
    m = _COMMAND.fullmatch(text.strip())
    return (m.group(1).lower(), m.group(2), (m.group(3) or "").strip()) if m else None


def normalize_base_url(url: str | None) -> str | None:
    """`http://127.0.0.1:8081` -> `http://127.0.0.1:8081/bot`; anything with a path is kept."""
    if not url:
        return None
    url = url.strip()
    return url.rstrip("/") + "/bot" if urlparse(url).path in ("", "/") else url


def file_url_for(base_url: str) -> str:
    """The Bot API file URL next to a base URL: `.../bot` -> `.../file/bot`."""
    head, _, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}"


def _remember_missing_sniffio() -> None:
    """httpcore runs `import sniffio` on every request; when it is not installed each attempt scans
    sys.path again (~1 ms of CPU per Bot API call, measured). Record the miss once."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # a cached "not installed": import raises at once


def press_chat_id(update: Update) -> int | None:
    """The chat of a button press; a press without its message (as some servers send) is taken to
    come from the presser's private chat, whose id is the user id."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    query = update.callback_query
    return query.from_user.id if query is not None and query.from_user is not None else None


def bot_id_from_token(token: str) -> int:
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else 0


def describe_error(error: BaseException) -> str:
    """Type and stack frames, without the exception message (it may quote user text)."""
    if isinstance(error, TelegramError):
        return f"{type(error).__name__}: {error.message}"
    frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)[-6:]))
    return f"{type(error).__name__} (message withheld)\n{frames}".rstrip()


class TelegramFrontEnd:
    def __init__(self, engine: EngineLike, store: TelegramStore):
        self.engine = engine
        self.store = store
        self.sender = Sender(store)

    def register(self, app: Application) -> None:
        message = filters.UpdateType.MESSAGE
        app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, self.on_edited))
        app.add_handler(CommandHandler([c for c, _ in COMMANDS], self.on_command, filters=message))
        app.add_handler(MessageHandler(message & filters.COMMAND, self.on_command))  # unknown ones
        app.add_handler(MessageHandler(message & filters.TEXT, self.on_text))
        app.add_handler(MessageHandler(message & ~filters.TEXT & ~filters.StatusUpdate.ALL, self.on_non_text))
        app.add_handler(CallbackQueryHandler(self.on_callback))
        app.add_handler(ChatMemberHandler(self.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(self.on_error)

    async def post_init(self, app: Application) -> None:
        if isinstance(app.update_queue, InboxQueue):  # before polling / the webhook starts
            app.update_queue.replay(app.bot)
        try:
            await app.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
        except TelegramError as exc:
            log.warning("setMyCommands failed (%s); commands still work when typed", exc.message)

    # -- handlers ------------------------------------------------------------------------------
    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every /command, whether Telegram marked it with a bot_command entity or not (on_text)."""
        message = update.message
        parsed = parse_command(message.text or "")
        if parsed is None:
            return
        name, target, args = parsed
        ours = (context.bot.username or "").lower()
        private = message.chat.type == ChatType.PRIVATE
        if target and target.lower() != ours:
            return  # /cmd@another_bot
        chat_id, reply_to = message.chat.id, self._reply_to(update)
        if name in ENGINE_TEXT:
            await self._turn(update, context, text=ENGINE_TEXT[name])
        elif name == "article":
            if args:
                await self._turn(update, context, text=f"/article {args}")
            else:
                await self.sender.send_text(context.bot, chat_id, texts.ARTICLE_USAGE, reply_to)
        elif name == "delete":
            token = new_token()
            await asyncio.to_thread(self.store.set_delete_token, chat_id, token)
            await self.sender.deliver(context.bot, chat_id, render_text(texts.DELETE_ASK), delete_keyboard(token), reply_to)
        elif private or target:  # in a group, a bare unknown /cmd may be for another bot
            await self.sender.send_text(context.bot, chat_id, texts.UNKNOWN_COMMAND, reply_to)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if parse_command(message.text) is not None:  # a /command sent without its entity
            await self.on_command(update, context)
            return
        if not self._addressed(message, context):
            return
        text = message.text
        if message.chat.type != ChatType.PRIVATE and context.bot.username:
            text = re.sub("@" + re.escape(context.bot.username), " ", text, flags=re.I).strip() or "/help"
        await self._turn(update, context, text=text)

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.edited_message
        if message is None or not self._addressed(message, context):
            return
        await self.sender.send_text(context.bot, message.chat.id, texts.EDIT_NOTE, message.message_id)

    async def on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if not self._addressed(message, context):
            return
        await self._reprompt(context.bot, message.chat.id, texts.NON_TEXT_NOTE, self._reply_to(update))

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        try:
            await query.answer()
        except TelegramError:  # too old to answer, or not supported: the press itself is still handled
            pass
        chat_id = press_chat_id(update)
        if chat_id is None:
            return
        press = parse_press(query.data)
        if press is not None and press.kind == "delete":
            await self._confirm_delete(context, query, chat_id, press.token, press.confirm, update.update_id)
            return
        if press is not None:
            prompt = self.store.get_prompt(chat_id)
            if prompt and prompt.token == press.token and 0 <= press.index < len(prompt.choices):
                await self._press_turn(update, context, prompt, prompt.choices[press.index])
                return
        await self._reprompt(context.bot, chat_id, texts.STALE_BUTTON)

    async def on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        member = update.my_chat_member
        status = member.new_chat_member.status
        if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            await asyncio.to_thread(self.store.set_inactive, member.chat.id, True)
            log.info("chat %s removed/blocked the bot; marked inactive", member.chat.id)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        chat = update.effective_chat if isinstance(update, Update) else None
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(error, Forbidden):
            if chat is not None:
                await asyncio.to_thread(self.store.set_inactive, chat.id, True)
            log.info("update %s: chat blocked the bot (%s); marked inactive", update_id, error.message)
            return
        log.error("update %s failed: %s", update_id, describe_error(error))
        if chat is None or self.store.is_inactive(chat.id):
            return
        try:
            await context.bot.send_message(chat.id, texts.APOLOGY)
        except TelegramError as exc:
            log.warning("update %s: could not send the apology (%s)", update_id, type(exc).__name__)

    # -- the turn ------------------------------------------------------------------------------
    async def _turn(self, update: Update, context, *, text: str | None = None, choice: str | None = None) -> None:
        chat_id = update.effective_chat.id
        typing = None
        if getattr(self.engine, "calls_model", False) and text and not text.startswith("/"):
            typing = asyncio.create_task(self._keep_typing(context.bot, chat_id))
        try:
            reply = await asyncio.to_thread(self._engine_turn, session_id(chat_id), text, choice, update.update_id)
        finally:
            if typing is not None:
                typing.cancel()
        await self.sender.send_reply(context.bot, chat_id, reply, self._reply_to(update))

    @staticmethod
    async def _keep_typing(bot, chat_id: int) -> None:
        """"typing…" until cancelled (the model has answered or the deadline has passed)."""
        while True:
            try:
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as exc:
                log.debug("sendChatAction failed (%s); no typing indicator", type(exc).__name__)
                return
            await asyncio.sleep(TYPING_EVERY_S)

    def _engine_turn(self, sid: str, text: str | None, choice: str | None, update_id: int) -> Reply:
        reply = self.engine.turn(sid, choice=choice) if choice is not None else self.engine.turn(sid, text)
        # Recorded as soon as the session has advanced: a redelivery after a crash while sending
        # must not advance it again. The WAL truncation an emptied inbox calls for waits until the
        # reply is out (the processor marks the update again after the handler).
        self.store.mark_processed(update_id, settle=False)
        return reply

    async def _press_turn(self, update: Update, context, prompt: Prompt, label: str) -> None:
        """A press on the live keyboard. When the engine asks the same question again (a multi-select
        in progress: 已选 …, 完成), the pressed message is edited in place instead of sending another."""
        query = update.callback_query
        chat_id = press_chat_id(update)
        reply = await asyncio.to_thread(self._engine_turn, session_id(chat_id), None, label, update.update_id)
        pressed = query.message.message_id if query.message is not None else None
        same_question = reply.choices and reply.asks and reply.asks == prompt.asks
        if same_question and pressed is not None and pressed == prompt.message_id:
            if await self.sender.edit_prompt(context.bot, chat_id, prompt.message_id, reply):
                return
        if pressed is not None:
            await self.sender.drop_keyboard(query)
        await self.sender.send_reply(context.bot, chat_id, reply)

    async def _reprompt(self, bot, chat_id: int, note: str, reply_to: int | None = None) -> None:
        """The note, then the chat's live question with fresh buttons (or a hint how to go on)."""
        prompt = self.store.get_prompt(chat_id)
        if prompt is None or not (prompt.asks or prompt.choices):
            await self.sender.send_text(bot, chat_id, f"{note}\n\n{texts.NO_PROMPT}", reply_to)
            return
        body = note if prompt.asks else f"{note}\n\n{texts.PLEASE_CHOOSE}"
        reply = Reply(session=session_id(chat_id), reply=body, asks=prompt.asks, choices=prompt.choices)
        await self.sender.send_reply(bot, chat_id, reply, reply_to)

    async def _confirm_delete(self, context, query, chat_id: int, token: str, confirm: bool, update_id: int) -> None:
        if not await asyncio.to_thread(self.store.take_delete_token, chat_id, token):
            await self.sender.send_text(context.bot, chat_id, texts.DELETE_STALE)
            return
        if confirm:
            await asyncio.to_thread(self.engine.delete_session, session_id(chat_id))
            await asyncio.to_thread(self.store.forget_chat, chat_id, update_id)
            log.info("chat %s: all stored data deleted on request", chat_id)
        note = texts.DELETED if confirm else texts.DELETE_CANCELLED
        if query.message is not None:
            try:
                await query.edit_message_text(note)
                return
            except TelegramError:
                pass
        await self.sender.send_text(context.bot, chat_id, note)

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _reply_to(update: Update) -> int | None:
        message = update.message
        if message is None or message.chat.type == ChatType.PRIVATE:
            return None
        return message.message_id

    @staticmethod
    def _addressed(message: Message, context) -> bool:
        """Private chats: always. Groups: a reply to the bot, or an @mention of it."""
        if message.chat.type == ChatType.PRIVATE:
            return True
        bot = context.bot
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            return True
        username = "@" + (bot.username or "").lower()
        for entity, value in {**message.parse_entities(), **message.parse_caption_entities()}.items():
            if entity.type == MessageEntityType.MENTION and value.lower() == username:
                return True
            if entity.type == MessageEntityType.TEXT_MENTION and entity.user and entity.user.id == bot.id:
                return True
        return False


def build_application(
    settings,
    engine: EngineLike,
    *,
    rate_limiter: BaseRateLimiter | None = None,
    parallel: int = 16,
) -> Application:
    """The PTB Application for `engine`, talking to settings.telegram_api_base_url (or Telegram)."""
    token = settings.telegram_bot_token
    if not token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    protect()  # httpx logs request URLs (token included), PTB's DEBUG lines user text: bot/logs.py
    _remember_missing_sniffio()
    store = TelegramStore.for_settings(settings, bot_id=bot_id_from_token(token))
    front = TelegramFrontEnd(engine, store)

    async def post_shutdown(_app: Application) -> None:
        store.close()

    builder = (
        ApplicationBuilder()
        .token(token)
        .rate_limiter(rate_limiter or AIORateLimiter(max_retries=3))
        .concurrent_updates(ChatOrderedProcessor(store, parallel=parallel))
        .update_queue(InboxQueue(store))  # each update on disk before its offset is confirmed
        # one connection per handler that can be sending at once (+ a few for error replies): a
        # bigger pool only costs CPU, httpcore scans every pooled connection on each request
        .connection_pool_size(parallel + 8)
        .pool_timeout(10)
        .post_init(front.post_init)
        .post_shutdown(post_shutdown)
    )
    base_url = normalize_base_url(settings.telegram_api_base_url)
    if base_url:
        builder = builder.base_url(base_url).base_file_url(file_url_for(base_url))
    app = builder.build()
    front.register(app)
    app.bot_data["front_end"] = front
    return app
