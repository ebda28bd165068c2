"""The web chat for entrepreneurs (`/`), and the policy pages it links to (`/articles`).

    GET  /                  the conversation (kept on the server per browser cookie `pb_chat`)
    POST /chat              a turn: `text` or `choice` (+ `csrf`); with `X-Requested-With: fetch`
                            the answer is the conversation's HTML, otherwise 303 back to `/`
    POST /chat/reset        重新开始: the form starts over (the engine's own reset)
    POST /chat/delete       删除我的数据: the engine session, the transcript, the cookie: all gone
    GET  /articles, /articles/{n}

Works without JavaScript (plain forms and 303s); chat.js only sends the same forms with fetch and
swaps the conversation in place. Every text is escaped by the templates (autoescape).
"""

from __future__ import annotations

import asyncio
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.web.api import MAX_TEXT, article_number
from bot.web.auth import check_signed, sign
from bot.web.errors import BadRequest, Forbidden
from bot.web.render import view
from bot.web.turns import ChoiceNotOffered

COOKIE = "pb_chat"
COOKIE_DAYS = 30
STARTERS = ["我想看看我们能享受哪些政策", "我们去年被认定为国家高新技术企业，能拿多少", "研发投入能补多少", "全部条款"]


def conversation(rows) -> list[dict]:
    """Transcript rows as the page shows them. While a multi-select question is open, each press
    is a small chip and only the newest reply to it is shown (the question updates in place)."""
    items: list[dict] = []
    prev = None
    selected: set[str] = set()
    for row in rows:
        v = view(row.reply)
        toggle = (
            row.kind == "choice" and prev is not None and prev.multi and v.multi
            and row.choice not in {o.id for o in prev.finish} and v.reply.asks == prev.reply.asks
        )
        if toggle:
            if items and items[-1].get("from_toggle"):
                items.pop()  # superseded by the reply to this press
            undo = row.choice in selected
            selected ^= {row.choice}
            items.append({"who": "user", "text": row.text, "chip": "undo" if undo else "on"})
        else:
            selected = set()
            items.append({"who": "user", "text": row.text, "chip": None, "kind": row.kind})
        items.append({"who": "bot", "view": v, "from_toggle": toggle, "selected": set(selected)})
        prev = v
    for item in items:
        item["latest"] = False
    for item in reversed(items):
        if item["who"] == "bot":
            item["latest"] = True
            break
    return items


def build_router(state) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    templates = state.templates

    def _secure(request: Request) -> bool:
        return request.url.scheme == "https"

    def _chat_id(request: Request) -> str | None:
        value = request.cookies.get(COOKIE, "")
        return value if 16 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum() else None

    def _set_cookie(response, request: Request, chat_id: str) -> None:
        response.set_cookie(COOKIE, chat_id, max_age=COOKIE_DAYS * 86400, httponly=True, samesite="lax",
                            secure=_secure(request), path="/")

    def _page(request: Request, chat_id: str, *, notice: str = "", error: str = "", status: int = 200):
        rows = state.store.turns("chat-" + chat_id)
        html = templates.get_template("chat.html").render(
            items=conversation(rows), csrf=sign(state.secret, "chat", chat_id), starters=STARTERS,
            notice=notice, error=error,
        )
        return HTMLResponse(html, status_code=status)

    def _fragment(chat_id: str, *, error: str = "", status: int = 200):
        rows = state.store.turns("chat-" + chat_id)
        html = templates.get_template("_conversation.html").render(
            items=conversation(rows), csrf=sign(state.secret, "chat", chat_id), starters=STARTERS, error=error)
        return HTMLResponse(html, status_code=status)

    async def _checked(request: Request) -> tuple[str, dict]:
        form = await request.form()
        chat_id = _chat_id(request)
        token = form.get("csrf") or request.headers.get("x-csrf-token")
        if chat_id is None or not check_signed(state.secret, "chat", chat_id, token):
            raise Forbidden("页面已过期或来源不明，请刷新页面后再试。", code="csrf")
        return chat_id, form

    @router.get("/", response_class=HTMLResponse)
    async def index(request: Request):
        chat_id = _chat_id(request)
        fresh = chat_id is None
        chat_id = chat_id or secrets.token_urlsafe(18)
        notice = "您的对话记录已全部删除。" if request.query_params.get("deleted") == "1" else ""
        response = _page(request, chat_id, notice=notice)
        if fresh:
            _set_cookie(response, request, chat_id)
        return response

    @router.post("/chat")
    async def chat_turn(request: Request):
        chat_id, form = await _checked(request)
        text, choice = form.get("text"), form.get("choice")
        if isinstance(text, str) and len(text) > MAX_TEXT:
            raise BadRequest(f"消息太长了（上限 {MAX_TEXT} 个字），请分几次发送。", code="too_long")
        if not isinstance(text, str) and not isinstance(choice, str):
            raise BadRequest("请输入问题或点选一个选项。", code="bad_request")
        fetch = request.headers.get("x-requested-with") == "fetch"
        error, status = "", 200
        try:
            if isinstance(choice, str):
                await asyncio.to_thread(state.turns.turn, "chat-" + chat_id, choice=choice, log_kind="text")
            else:
                await asyncio.to_thread(state.turns.turn, "chat-" + chat_id, text=text.strip(), log_kind="text")
        except ChoiceNotOffered:
            error, status = "这个按钮已过期（对话已经往下进行了），请点选最新问题下面的选项。", 409
        if fetch:
            return _fragment(chat_id, error=error, status=status)
        if error:
            return _page(request, chat_id, error=error, status=status)
        return RedirectResponse("/#latest", status_code=303)

    @router.post("/chat/reset")
    async def reset(request: Request):
        chat_id, _ = await _checked(request)
        await asyncio.to_thread(state.turns.turn, "chat-" + chat_id, text="重新开始", log_kind="text")
        if request.headers.get("x-requested-with") == "fetch":
            return _fragment(chat_id)
        return RedirectResponse("/#latest", status_code=303)

    @router.post("/chat/delete")
    async def delete(request: Request):
        chat_id, _ = await _checked(request)
        await asyncio.to_thread(state.turns.forget, "chat-" + chat_id)
        response = RedirectResponse("/?deleted=1", status_code=303)
        _set_cookie(response, request, secrets.token_urlsafe(18))
        return response

    @router.get("/articles", response_class=HTMLResponse)
    async def articles(request: Request):
        html = templates.get_template("articles.html").render(policy=state.policy)
        return HTMLResponse(html)

    @router.get("/articles/{n}", response_class=HTMLResponse)
    async def article(request: Request, n: str):
        number = article_number(n, len(state.policy.articles))
        html = templates.get_template("article.html").render(a=state.policy.article(number), total=len(state.policy.articles))
        return HTMLResponse(html)

    return router
