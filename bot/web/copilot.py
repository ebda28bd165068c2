"""The helpdesk copilot (`/copilot`), behind a staff login.

Pages (forms with a CSRF token; no JavaScript needed except for the copy buttons):
    GET  /copilot/login, POST /copilot/login, POST /copilot/logout
    GET  /copilot                        new case (paste a message or a thread) + my cases
    POST /copilot/cases                  a case from the pasted text: each customer message one turn
    GET  /copilot/cases/{id}             draft | sources | calculation | missing facts | related; history
    POST /copilot/cases/{id}/turns       add a fact (text) or press an option: a further turn
    POST /copilot/cases/{id}/draft       keep the draft as edited
    POST /copilot/cases/{id}/delete
    GET  /copilot/cases/{id}/export.md   the case as Markdown

JSON API (the same login cookie; POSTs carry the CSRF token in `X-CSRF-Token`):
    GET  /copilot/api/cases, POST /copilot/api/cases {"text"}
    GET  /copilot/api/cases/{id}, POST /copilot/api/cases/{id}/turns {"text"? | "choice"?}

Cookies: `pb_login` (before login, only to tie the login form's CSRF token to this browser) and
`pb_staff` (HttpOnly, SameSite=Strict, path /copilot; a new random value at every login). A staff
member only ever finds their own cases: anyone else's case id is 404.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.web.api import MAX_TEXT
from bot.web.auth import check_signed, sign
from bot.web.drafts import case_markdown, draft_text, split_thread
from bot.web.errors import BadRequest, Forbidden, NotFound, Unauthorized, Unprocessable
from bot.web.render import view
from bot.web.store import case_session
from bot.web.turns import ChoiceNotOffered

STAFF_COOKIE = "pb_staff"
LOGIN_COOKIE = "pb_login"
# Where a login may send the browser next: a copilot page of this server, nothing else (no open redirect).
_NEXT_RE = re.compile(r"/copilot(?:/cases/[A-Za-z0-9_-]{1,64})?")


def safe_next(value: object) -> str:
    return value if isinstance(value, str) and _NEXT_RE.fullmatch(value) else "/copilot"


class Staff:
    def __init__(self, name: str, csrf: str, token: str):
        self.name, self.csrf, self.token = name, csrf, token


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="客户的消息，或整段对话记录")


class CaseTurnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=MAX_TEXT)
    choice: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_of(self) -> CaseTurnIn:
        if (self.text is None) == (self.choice is None):
            raise ValueError("text（补充的事实）和 choice（所选选项）须且只须提供一个")
        return self


def _title(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "（空）")
    return first[:40] + ("…" if len(first) > 40 else "")


def build_routers(state) -> tuple[APIRouter, APIRouter]:
    """(the pages, left out of the OpenAPI schema; the JSON API, in it)."""
    router = APIRouter(include_in_schema=False)
    api = APIRouter(prefix="/copilot/api", tags=["客服工作台（需登录）"])
    templates = state.templates
    accounts = state.accounts

    def _secure(request: Request) -> bool:
        return request.url.scheme == "https"

    def _current(request: Request) -> Staff | None:
        token = request.cookies.get(STAFF_COOKIE)
        found = accounts.staff_for(token)
        return Staff(found[0], found[1], token) if found else None

    def page_staff(request: Request) -> Staff:
        staff = _current(request)
        if staff is None:
            nxt = safe_next(request.url.path) if request.method == "GET" else "/copilot"
            raise Unauthorized("请先登录客服工作台。", code="login_required",
                               headers={"Location": "/copilot/login?next=" + quote(nxt)})
        return staff

    def api_staff(request: Request) -> Staff:
        staff = _current(request)
        if staff is None:
            raise Unauthorized("请先登录客服工作台（POST /copilot/login），再调用此接口。", code="login_required")
        if request.method not in ("GET", "HEAD"):
            token = request.headers.get("x-csrf-token", "")
            if not secrets.compare_digest(token.encode(), staff.csrf.encode()):
                raise Forbidden("缺少或错误的 CSRF 令牌（请求头 X-CSRF-Token），请刷新工作台页面后重试。")
        return staff

    async def form_of(request: Request, staff: Staff) -> Any:
        form = await request.form()
        token = form.get("csrf")
        if not isinstance(token, str) or not secrets.compare_digest(token.encode(), staff.csrf.encode()):
            raise Forbidden("页面已过期或来源不明，请刷新页面后再试。", code="csrf")
        return form

    def render(template: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(templates.get_template(template).render(**context), status_code=status)

    def case_or_404(staff: Staff, case_id: str):
        case = state.store.case_of(staff.name, case_id) if len(case_id) <= 64 else None
        if case is None:
            raise NotFound("没有这个案例（或它不属于您）。请回到工作台查看您的案例。", code="no_such_case")
        return case

    def run_turn(case, *, text: str | None = None, choice: str | None = None, kind: str = "fact"):
        reply, _ = state.turns.turn(case.session, text=text, choice=choice, log_kind=kind)
        state.store.touch_case(case.id)
        return reply

    def new_case(staff: Staff, text: str):
        messages = split_thread(text)
        if not messages:
            raise BadRequest("请粘贴客户的消息或对话记录。", code="empty")
        case = state.store.add_case(secrets.token_urlsafe(9), staff.name, _title(messages[-1]))
        for message in messages:
            run_turn(case, text=message, kind="message")
        return case

    def case_json(case) -> dict:
        rows = state.store.turns(case.session)
        out = {"case": case.id, "title": case.title, "created": case.created, "updated": case.updated,
               "turns": []}
        for row in rows:
            out["turns"].append({"seq": row.seq, "kind": row.kind, "text": row.text,
                                 "draft": row.draft or draft_text(row.reply), "reply": row.reply.to_json_dict()})
        return out

    # --- login ----------------------------------------------------------------------------------
    def _login_page(request: Request, *, message: str = "", status: int = 200, name: str = ""):
        seed = request.cookies.get(LOGIN_COOKIE)
        fresh = not seed or len(seed) > 64
        seed = secrets.token_urlsafe(18) if fresh else seed
        response = render("login.html", status, csrf=sign(state.secret, "login", seed), message=message,
                          name=name, next=safe_next(request.query_params.get("next")))
        if fresh:
            response.set_cookie(LOGIN_COOKIE, seed, max_age=3600, httponly=True, samesite="strict",
                                secure=_secure(request), path="/copilot")
        return response

    @router.get("/copilot/login", response_class=HTMLResponse)
    async def login_page(request: Request):
        if _current(request):
            return RedirectResponse("/copilot", status_code=303)
        return _login_page(request)

    @router.post("/copilot/login")
    async def login(request: Request):
        form = await request.form()
        seed = request.cookies.get(LOGIN_COOKIE, "")
        if not check_signed(state.secret, "login", seed, form.get("csrf")):
            return _login_page(request, message="登录页面已过期，请重新输入用户名和密码。", status=403)
        name, password = str(form.get("name", "")), str(form.get("password", ""))
        if not name.strip() or not password:
            return _login_page(request, message="请输入用户名和密码。", status=400, name=name)
        outcome = await asyncio.to_thread(accounts.login, name, password)
        if not outcome.ok:
            return _login_page(request, message=outcome.message, status=429 if outcome.locked else 401, name=name)
        accounts.logout(request.cookies.get(STAFF_COOKIE))  # an earlier login in this browser ends here
        response = RedirectResponse(safe_next(form.get("next")), status_code=303)
        response.delete_cookie(LOGIN_COOKIE, path="/copilot")
        response.set_cookie(STAFF_COOKIE, outcome.token, max_age=int(accounts.session_s), httponly=True,
                            samesite="strict", secure=_secure(request), path="/copilot")
        return response

    @router.post("/copilot/logout")
    async def logout(request: Request, staff: Staff = Depends(page_staff)):
        await form_of(request, staff)
        accounts.logout(staff.token)
        response = RedirectResponse("/copilot/login", status_code=303)
        response.delete_cookie(STAFF_COOKIE, path="/copilot")
        return response

    # --- pages ----------------------------------------------------------------------------------
    @router.get("/copilot", response_class=HTMLResponse)
    async def home(request: Request, staff: Staff = Depends(page_staff)):
        return render("copilot.html", staff=staff.name, csrf=staff.csrf, cases=state.store.cases_of(staff.name))

    @router.post("/copilot/cases")
    async def create_case(request: Request, staff: Staff = Depends(page_staff)):
        form = await form_of(request, staff)
        text = str(form.get("text", ""))
        if len(text) > MAX_TEXT:
            raise BadRequest(f"粘贴的内容太长（上限 {MAX_TEXT} 个字），请只保留与政策有关的部分。", code="too_long")
        case = await asyncio.to_thread(new_case, staff, text)
        return RedirectResponse(f"/copilot/cases/{case.id}#latest", status_code=303)

    @router.get("/copilot/cases/{case_id}", response_class=HTMLResponse)
    async def show_case(request: Request, case_id: str, staff: Staff = Depends(page_staff)):
        case = case_or_404(staff, case_id)
        rows = state.store.turns(case.session)
        entries = [{"row": r, "view": view(r.reply), "draft": r.draft or draft_text(r.reply)} for r in rows]
        notice = {"saved": "草稿已保存。"}.get(request.query_params.get("m", ""), "")
        error = {"stale": "这个选项已过期（案例已往下进行），请点选最新的选项。"}.get(request.query_params.get("m", ""), "")
        return render("case.html", staff=staff.name, csrf=staff.csrf, case=case, entries=entries,
                      latest=entries[-1] if entries else None, notice=notice, error=error)

    @router.post("/copilot/cases/{case_id}/turns")
    async def case_turn(request: Request, case_id: str, staff: Staff = Depends(page_staff)):
        case = case_or_404(staff, case_id)
        form = await form_of(request, staff)
        text, choice = form.get("text"), form.get("choice")
        kind = "message" if form.get("kind") == "message" else "fact"
        try:
            if isinstance(choice, str):
                await asyncio.to_thread(run_turn, case, choice=choice)
            elif isinstance(text, str) and text.strip():
                if len(text) > MAX_TEXT:
                    raise BadRequest(f"内容太长（上限 {MAX_TEXT} 个字）。", code="too_long")
                await asyncio.to_thread(run_turn, case, text=text.strip(), kind=kind)
            else:
                raise BadRequest("请填写要补充的事实（例如：上年度研发投入1200万元）。", code="empty")
        except ChoiceNotOffered:
            return RedirectResponse(f"/copilot/cases/{case.id}?m=stale#latest", status_code=303)
        return RedirectResponse(f"/copilot/cases/{case.id}#latest", status_code=303)

    @router.post("/copilot/cases/{case_id}/draft")
    async def save_draft(request: Request, case_id: str, staff: Staff = Depends(page_staff)):
        case = case_or_404(staff, case_id)
        form = await form_of(request, staff)
        seq = str(form.get("seq", ""))
        draft = str(form.get("draft", ""))[:MAX_TEXT]
        if not seq.isdigit() or not state.store.set_draft(case.session, int(seq), draft):
            raise NotFound("没有这条记录，请刷新页面。")
        return RedirectResponse(f"/copilot/cases/{case.id}?m=saved#turn-{seq}", status_code=303)

    @router.post("/copilot/cases/{case_id}/delete")
    async def delete_case(request: Request, case_id: str, staff: Staff = Depends(page_staff)):
        case = case_or_404(staff, case_id)
        await form_of(request, staff)
        await asyncio.to_thread(state.assistant.delete_session, case_session(case.id))
        state.store.delete_case(case.id)
        return RedirectResponse("/copilot", status_code=303)

    @router.get("/copilot/cases/{case_id}/export.md")
    async def export(request: Request, case_id: str, staff: Staff = Depends(page_staff)):
        case = case_or_404(staff, case_id)
        text = case_markdown(case, state.store.turns(case.session))
        return PlainTextResponse(text, media_type="text/markdown; charset=utf-8", headers={
            "Content-Disposition": f"attachment; filename=\"case-{case.id}.md\""})

    # --- JSON API -------------------------------------------------------------------------------
    @api.get("/cases", summary="我的案例")
    async def api_cases(staff: Staff = Depends(api_staff)):
        return [{"case": c.id, "title": c.title, "created": c.created, "updated": c.updated}
                for c in state.store.cases_of(staff.name)]

    @api.post("/cases", summary="新建案例（客户消息或整段对话）", status_code=201)
    async def api_new_case(body: CaseIn, staff: Staff = Depends(api_staff)):
        case = await asyncio.to_thread(new_case, staff, body.text)
        return JSONResponse(case_json(case), status_code=201)

    @api.get("/cases/{case_id}", summary="一个案例")
    async def api_case(case_id: str, staff: Staff = Depends(api_staff)):
        return case_json(case_or_404(staff, case_id))

    @api.post("/cases/{case_id}/turns", summary="补充事实或选择选项，重新测算")
    async def api_case_turn(case_id: str, body: CaseTurnIn, staff: Staff = Depends(api_staff)):
        case = case_or_404(staff, case_id)
        try:
            await asyncio.to_thread(run_turn, case, text=body.text, choice=body.choice)
        except ChoiceNotOffered as exc:
            raise Unprocessable(str(exc), code="choice_not_offered") from None
        return case_json(case)

    return router, api
