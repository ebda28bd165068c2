"""A scripted fake Telegram Bot API server on 127.0.0.1, for end-to-end tests of the real PTB stack.

    with FakeTelegram() as tg:                      # serves http://127.0.0.1:<port>/bot<token>/<method>
        settings = Settings(TELEGRAM_API_BASE_URL=tg.base_url, TELEGRAM_BOT_TOKEN=tg.token, ...)
        tg.user_says(42, "/check")                  # queue updates as a user would cause them
        tg.wait_until(lambda: len(tg.texts(42)) >= 1)
        tg.press(42, "企业")                         # press the button labelled 企业 on the latest keyboard
        tg.fail_next("sendMessage", 429, retry_after=1)
        tg.block(42)                                # every send to chat 42 answers 403
        tg.confirmed(update_id)                     # delivered for good: Telegram will not resend it

Every call is recorded in `tg.calls` on arrival (method, decoded params; HTTP status once answered,
0 until then). Parameters are decoded
the way PTB sends them: form-encoded with JSON-encoded non-string values (also JSON bodies, query
strings and multipart). Like the real server it checks what Telegram checks: HTML entities must
parse (strict: only known tags, balanced, `< > &` escaped), text 1..4096 UTF-16 units after
parsing, callback_data 1..64 bytes, command names/descriptions; violations answer 400 with
Telegram's wording. getUpdates long-polls and forgets updates below `offset`; setWebhook switches to
pushing updates (with the secret token header) to the webhook URL and getUpdates then answers 409.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

from tests.fakes.telegram_wire import EntityParseError, decode, parse_html, to_int, utf16_len

DEFAULT_TOKEN = "123456789:AAFakeTokenForTests_x9Yq-SECRET"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    method: str
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1
    chat_id: int | None = None


class TelegramApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


class FakeTelegram:
    def __init__(self, token: str = DEFAULT_TOKEN, username: str = "policy_test_bot"):
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.username = username
        self.calls: list[Call] = []
        self.commands: list[dict] = []
        self.webhook: dict | None = None
        self.blocked: set[int] = set()
        self.sent_count = 0  # successful sendMessage calls
        self._faults: list[Fault] = []
        self._pending: list[dict] = []  # updates not yet confirmed
        self._history: dict[int, dict] = {}  # update_id -> update (for redelivery)
        self._messages: dict[tuple[int, int], dict] = {}
        self._message_ids: dict[int, itertools.count] = {}
        self._update_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._cond = threading.Condition()
        self._closed = False
        self._server: ThreadingHTTPServer | None = None
        self._webhook_thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeTelegram:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else headers and body wait for a delayed ACK (40 ms)

            def do_POST(self):  # noqa: N802
                fake._http(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args):
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        threading.Thread(target=self._server.serve_forever, name="fake-telegram", daemon=True).start()
        return self

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self.webhook = None
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._webhook_thread is not None:
            self._webhook_thread.join(timeout=5)

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def bot_user(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": "PolicyBot", "username": self.username}

    # -- scripting -------------------------------------------------------------------------------
    def fail_next(self, method: str, status: int, description: str | None = None, *, retry_after: int | None = None,
                  times: int = 1, chat_id: int | None = None) -> None:  # fmt: skip
        default = {429: f"Too Many Requests: retry after {retry_after or 1}", 403: "Forbidden: bot was blocked by the user",
                   400: "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 0",
                   500: "Internal Server Error", 502: "Bad Gateway"}  # fmt: skip
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._cond:
            self._faults.append(Fault(method, status, description or default.get(status, "Error"), retry_after, times, chat_id))

    def block(self, chat_id: int) -> None:
        self.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self.blocked.discard(chat_id)

    # -- what users do -------------------------------------------------------------------------------
    def _chat(self, chat_id: int, chat_type: str) -> dict:
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": "测试用户"}
        return {"id": chat_id, "type": chat_type, "title": "测试群"}

    def _user(self, user_id: int) -> dict:
        return {"id": user_id, "is_bot": False, "first_name": "测试用户", "language_code": "zh-hans"}

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _message(self, chat_id: int, chat_type: str, user_id: int | None, reply_to: int | None, **content) -> dict:
        with self._cond:
            message = {
                "message_id": self._next_message_id(chat_id),
                "date": int(time.time()),
                "chat": self._chat(chat_id, chat_type),
                "from": self._user(user_id if user_id is not None else abs(chat_id)),
                **content,
            }
            if reply_to is not None:
                message["reply_to_message"] = self._messages[(chat_id, reply_to)]
            self._messages[(chat_id, message["message_id"])] = message
        return message

    def push_update(self, update: dict) -> dict:
        with self._cond:
            update = {"update_id": next(self._update_ids), **update}
            self._history[update["update_id"]] = update
            self._pending.append(update)
            self._cond.notify_all()
        return update

    def redeliver(self, update_id: int) -> None:
        """Queue an already delivered update again, same update_id (as Telegram does after a crash)."""
        with self._cond:
            self._pending.append(self._history[update_id])
            self._cond.notify_all()

    def user_says(self, chat_id: int, text: str, *, chat_type: str = "private", user_id: int | None = None,
                  reply_to: int | None = None, with_entities: bool = True) -> dict:  # fmt: skip
        """A text message; bot_command and @mention entities are added the way Telegram adds them
        (with_entities=False: none, as some clients and fake servers send)."""
        entities = []
        for m in re.finditer(r"(?<![\w@])/[A-Za-z0-9_]+(?:@\w+)?|(?<!\w)@\w{4,}", text):
            kind = "bot_command" if m.group().startswith("/") else "mention"
            if kind == "bot_command" and m.start() != 0:
                continue
            entities.append({"type": kind, "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())})
        content: dict[str, Any] = {"text": text}
        if entities and with_entities:
            content["entities"] = entities
        message = self._message(chat_id, chat_type, user_id, reply_to, **content)
        return self.push_update({"message": message})

    def user_sends(self, chat_id: int, kind: str, *, chat_type: str = "private", reply_to: int | None = None) -> dict:
        """A non-text message: sticker, photo, voice, document, location, contact, video, audio, animation."""
        file = {"file_id": f"FILE-{kind}", "file_unique_id": f"U-{kind}", "file_size": 1234}
        contents = {
            "sticker": {"sticker": {**file, "width": 512, "height": 512, "is_animated": False, "is_video": False, "type": "regular"}},
            "photo": {"photo": [{**file, "width": 90, "height": 90}, {**file, "width": 800, "height": 800}]},
            "voice": {"voice": {**file, "duration": 3}},
            "document": {"document": {**file, "file_name": "申报书.pdf"}},
            "location": {"location": {"latitude": 39.6, "longitude": 109.8}},
            "contact": {"contact": {"phone_number": "+8613900001234", "first_name": "联系人"}},
            "video": {"video": {**file, "width": 640, "height": 480, "duration": 5}},
            "audio": {"audio": {**file, "duration": 5}},
            "animation": {"animation": {**file, "width": 320, "height": 240, "duration": 2}},
        }  # fmt: skip
        return self.push_update({"message": self._message(chat_id, chat_type, None, reply_to, **contents[kind])})

    def user_edits(self, chat_id: int, message_id: int, text: str) -> dict:
        with self._cond:
            original = dict(self._messages[(chat_id, message_id)])
        original.update(text=text, edit_date=int(time.time()))
        original.pop("entities", None)
        return self.push_update({"edited_message": original})

    def press_data(self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None,
                   with_message: bool = True) -> dict:  # fmt: skip
        """A button press (with_message=False: without the message, as some servers send)."""
        with self._cond:
            message = self._messages[(chat_id, message_id)]
        query = {
            "id": str(next(self._callback_ids)),
            "from": self._user(user_id if user_id is not None else abs(chat_id)),
            "chat_instance": f"ci-{chat_id}",
            "data": data,
        }
        if with_message:
            query["message"] = message
        return self.push_update({"callback_query": query})

    def press(self, chat_id: int, label: str) -> dict:
        """Press the button labelled `label` on the newest bot message in the chat that has one."""
        for sent in reversed(self.bot_messages(chat_id)):
            for button in _buttons(sent.get("reply_markup")):
                if button.get("text") == label:
                    return self.press_data(chat_id, sent["message_id"], button["callback_data"])
        raise AssertionError(f"no button {label!r} in chat {chat_id}; buttons: {self.buttons(chat_id)}")

    def inline_query(self, user_id: int, query: str) -> dict:
        """An inline query: an update without a chat."""
        inline = {"id": str(next(self._callback_ids)), "from": self._user(user_id), "query": query, "offset": ""}
        return self.push_update({"inline_query": inline})

    def my_chat_member(self, chat_id: int, status: str) -> dict:
        old = "member" if status == "kicked" else "kicked"
        member = {"chat": self._chat(chat_id, "private"), "from": self._user(chat_id), "date": int(time.time()),
                  "old_chat_member": {"status": old, "user": self.bot_user},
                  "new_chat_member": {"status": status, "user": self.bot_user, **({"until_date": 0} if status == "kicked" else {})}}  # fmt: skip
        return self.push_update({"my_chat_member": member})

    # -- what the bot did ------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def confirmed(self, update_id: int) -> bool:
        """Telegram considers the update delivered and will not send it again: a getUpdates call
        with a higher offset has arrived, or a webhook POST of it was answered 2xx."""
        polled = any((to_int(c.params.get("offset")) or 0) > update_id for c in self.calls_to("getUpdates"))
        pushed = any(c.params["update_id"] == update_id and c.status == 200 for c in self.calls_to("webhook-delivery"))
        with self._cond:
            pending = any(u["update_id"] == update_id for u in self._pending)
        return (polled or pushed) and not pending

    def bot_messages(self, chat_id: int | None = None) -> list[dict]:
        """Messages the bot sent successfully (current state, after edits), oldest first."""
        with self._cond:
            return [
                m for (cid, _), m in sorted(self._messages.items(), key=lambda kv: (kv[0][0], kv[0][1]))
                if m["from"]["id"] == self.bot_id and (chat_id is None or cid == chat_id)
            ]  # fmt: skip

    def texts(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.bot_messages(chat_id)]

    def buttons(self, chat_id: int) -> list[str]:
        """Labels on the newest keyboard in the chat."""
        for sent in reversed(self.bot_messages(chat_id)):
            labels = [b["text"] for b in _buttons(sent.get("reply_markup"))]
            if labels:
                return labels
        return []

    def wait_until(self, predicate, timeout: float = 10.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(0.01)

    async def until(self, predicate, timeout: float = 10.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            await asyncio.sleep(0.01)

    async def replies(self, chat_id: int, count: int, timeout: float = 10.0) -> list[str]:
        """Wait until the bot has sent `count` messages to the chat; return their texts."""
        await self.until(lambda: len(self.texts(chat_id)) >= count, timeout, f"{count} messages in chat {chat_id}")
        return self.texts(chat_id)

    # -- HTTP ------------------------------------------------------------------------------------
    def _http(self, request: BaseHTTPRequestHandler) -> None:
        url = urlparse(request.path)
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        m = re.fullmatch(r"/(file/)?bot([^/]+)/(\w+)", url.path)
        status, payload = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if m and m.group(2) != self.token:
            status, payload = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        elif m:
            method, params = m.group(3), decode(request.headers.get("Content-Type", ""), body, url.query)
            call = Call("download" if m.group(1) else method, params, status=0)  # 0: still being answered
            with self._cond:
                self.calls.append(call)  # recorded on arrival: a long poll shows up while it waits
            with self._cond:  # (an RLock; getUpdates waits on it) the effect and the status appear together
                try:
                    result = self._dispatch(call.method, params)
                    status, payload = 200, {"ok": True, "result": result}
                    call.result = result
                except TelegramApiError as err:
                    status = err.status
                    payload = {"ok": False, "error_code": err.status, "description": err.description}
                    if err.parameters:
                        payload["parameters"] = err.parameters
                call.status = status
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except OSError:  # the client gave up (a long poll cancelled at shutdown)
            request.close_connection = True

    def _dispatch(self, method: str, params: dict) -> Any:
        self._apply_faults(method, params)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            raise TelegramApiError(404, "Not Found: method not found")
        return handler(params)

    def _apply_faults(self, method: str, params: dict) -> None:
        with self._cond:
            for fault in self._faults:
                if fault.method == method and fault.times > 0 and fault.chat_id in (None, to_int(params.get("chat_id"))):
                    fault.times -= 1
                    extra = {"retry_after": fault.retry_after} if fault.retry_after else None
                    raise TelegramApiError(fault.status, fault.description, extra)
        chat_id = to_int(params.get("chat_id"))
        if chat_id in self.blocked and method.startswith(("send", "edit", "copy", "forward")):
            raise TelegramApiError(403, "Forbidden: bot was blocked by the user")

    # -- API methods -----------------------------------------------------------------------------
    def _api_getMe(self, params):  # noqa: N802
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}  # fmt: skip

    def _api_getUpdates(self, params):  # noqa: N802
        offset = to_int(params.get("offset")) or 0
        limit = min(to_int(params.get("limit")) or 100, 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self._cond:
            if self.webhook:
                raise TelegramApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
            if offset > 0:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            while not self._pending and not self._closed and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return list(self._pending[:limit])

    def _api_deleteWebhook(self, params):  # noqa: N802
        with self._cond:
            self.webhook = None
            if params.get("drop_pending_updates"):
                self._pending.clear()
        return True

    def _api_setWebhook(self, params):  # noqa: N802
        url = params.get("url") or ""
        with self._cond:
            self.webhook = {"url": url, "secret_token": params.get("secret_token"),
                            "allowed_updates": params.get("allowed_updates")} if url else None  # fmt: skip
            if params.get("drop_pending_updates"):
                self._pending.clear()
        if url and (self._webhook_thread is None or not self._webhook_thread.is_alive()):
            self._webhook_thread = threading.Thread(target=self._push_webhooks, name="fake-telegram-webhook", daemon=True)
            self._webhook_thread.start()
        return True

    def _api_getWebhookInfo(self, params):  # noqa: N802
        with self._cond:
            return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                    "pending_update_count": len(self._pending)}  # fmt: skip

    def _api_setMyCommands(self, params):  # noqa: N802
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise TelegramApiError(400, "Bad Request: commands must be an array")
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))):
                raise TelegramApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", ""))) <= 256:
                raise TelegramApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands = commands
        return True

    def _api_getMyCommands(self, params):  # noqa: N802
        return self.commands

    def _api_deleteMyCommands(self, params):  # noqa: N802
        self.commands = []
        return True

    def _api_sendChatAction(self, params):  # noqa: N802
        return True

    def _api_answerCallbackQuery(self, params):  # noqa: N802
        if not params.get("callback_query_id"):
            raise TelegramApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        return True

    def _api_deleteMessage(self, params):  # noqa: N802
        with self._cond:
            self._messages.pop((to_int(params.get("chat_id")), to_int(params.get("message_id"))), None)
        return True

    def _api_close(self, params):
        return True

    def _api_logOut(self, params):  # noqa: N802
        return True

    def _api_getFile(self, params):  # noqa: N802
        raise TelegramApiError(400, "Bad Request: the fake does not serve files")

    def _api_sendMessage(self, params):  # noqa: N802
        chat_id = to_int(params.get("chat_id"))
        if chat_id is None:
            raise TelegramApiError(400, "Bad Request: chat not found")
        plain = self._check_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        with self._cond:
            message = {"message_id": self._next_message_id(chat_id), "date": int(time.time()),
                       "chat": self._chat(chat_id, "private" if chat_id > 0 else "group"),
                       "from": self.bot_user, "text": plain, "source": params.get("text"),
                       "parse_mode": params.get("parse_mode")}  # fmt: skip
            if markup:
                message["reply_markup"] = markup
            reply = params.get("reply_parameters") or {}
            if isinstance(reply, dict) and reply.get("message_id"):
                message["reply_to_message"] = self._messages.get((chat_id, reply["message_id"]))
            self._messages[(chat_id, message["message_id"])] = message
            self.sent_count += 1
        return _public(message)

    def _api_editMessageText(self, params):  # noqa: N802
        key = (to_int(params.get("chat_id")), to_int(params.get("message_id")))
        plain = self._check_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        with self._cond:
            message = self._messages.get(key)
            if message is None:
                raise TelegramApiError(400, "Bad Request: message to edit not found")
            if message["text"] == plain and message.get("reply_markup") == markup:
                raise TelegramApiError(400, "Bad Request: message is not modified")
            message.update(text=plain, source=params.get("text"), parse_mode=params.get("parse_mode"), edit_date=int(time.time()))
            message.pop("reply_markup", None)
            if markup:
                message["reply_markup"] = markup
        return _public(message)

    def _api_editMessageReplyMarkup(self, params):  # noqa: N802
        key = (to_int(params.get("chat_id")), to_int(params.get("message_id")))
        markup = self._check_markup(params.get("reply_markup"))
        with self._cond:
            message = self._messages.get(key)
            if message is None:
                raise TelegramApiError(400, "Bad Request: message to edit not found")
            if message.get("reply_markup") == markup:
                raise TelegramApiError(400, "Bad Request: message is not modified")
            message.pop("reply_markup", None)
            if markup:
                message["reply_markup"] = markup
        return _public(message)

    # -- checks ----------------------------------------------------------------------------------
    @staticmethod
    def _check_text(params: dict) -> str:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise TelegramApiError(400, "Bad Request: message text is empty")
        plain = text
        if str(params.get("parse_mode") or "").upper() == "HTML":
            try:
                plain = parse_html(text)
            except EntityParseError as err:
                raise TelegramApiError(400, f"Bad Request: can't parse entities: {err}") from None
        if not plain.strip():
            raise TelegramApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > 4096:
            raise TelegramApiError(400, "Bad Request: message is too long")
        return plain

    @staticmethod
    def _check_markup(markup: Any) -> dict | None:
        if not markup:
            return None
        if not isinstance(markup, dict):
            raise TelegramApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for button in _buttons(markup):
            data = button.get("callback_data")
            if not button.get("text"):
                raise TelegramApiError(400, "Bad Request: BUTTON_TEXT_EMPTY")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise TelegramApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    # -- webhook delivery --------------------------------------------------------------------------
    def _push_webhooks(self) -> None:
        while True:
            with self._cond:
                while not self._closed and self.webhook and not self._pending:
                    self._cond.wait(0.5)
                if self._closed or not self.webhook:
                    return
                update, hook = self._pending[0], dict(self.webhook)
            request = urllib.request.Request(hook["url"], data=json.dumps(update).encode(), method="POST",
                                             headers={"Content-Type": "application/json"})  # fmt: skip
            if hook.get("secret_token"):
                request.add_header("X-Telegram-Bot-Api-Secret-Token", hook["secret_token"])
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    delivered = 200 <= response.status < 300
            except (urllib.error.URLError, OSError):
                delivered = False
            with self._cond:
                self.calls.append(Call("webhook-delivery", {"update_id": update["update_id"]}, 200 if delivered else 599))
                if delivered and self._pending and self._pending[0] is update:
                    self._pending.pop(0)
            if not delivered:
                time.sleep(0.1)


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # the default backlog of 5 resets connections under a burst


def _buttons(markup: Any) -> list[dict]:
    if not isinstance(markup, dict):
        return []
    return [b for row in markup.get("inline_keyboard") or [] for b in row if isinstance(b, dict)]


def _public(message: dict) -> dict:
    return {k: v for k, v in message.items() if k not in ("source", "parse_mode") and v is not None}
