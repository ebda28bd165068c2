"""The HTTP API (CONTRACT.md §6): JSON in, JSON out, no cookies read (so no CSRF surface).

    POST   /api/turn            {"session"?, "text"? | "choice"?, "request_id"?}  -> the reply object (§3)
    GET    /api/articles                                          -> [{"article", "title"}] ×30
    GET    /api/articles/{n}                                      -> article with clauses, departments
    POST   /api/benefits        {"profile": {...}}                -> {"benefits", "totals", ...}
    DELETE /api/sessions/{id}                                     -> 204, every trace gone
    GET    /healthz                                               -> {"ok": true} once the index is loaded
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.dialogue.reply import Reply
from bot.web.errors import NotFound, Unprocessable
from bot.web.turns import SESSION_RE, ChoiceNotOffered

SESSION_PATTERN = SESSION_RE.pattern
MAX_TEXT = 20_000


class TurnIn(BaseModel):
    """One user turn: typed `text`, or `choice` — the id or label of an option of the last reply."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"text": "我们去年被认定为国家高新技术企业，能拿多少"}, {"session": "s-1a2b", "choice": "企业"}]
    })

    session: str | None = Field(default=None, pattern=SESSION_PATTERN, description="会话 ID；不填则新建")
    text: str | None = Field(default=None, max_length=MAX_TEXT, description="用户输入的文字")
    choice: str | None = Field(default=None, max_length=200, description="所选选项的 id 或文字")
    request_id: str | None = Field(
        default=None, pattern=SESSION_PATTERN,
        description="客户端为这一轮取的 ID（可选）：连接中断后带同一 ID 重发，返回第一次的回复，不会重复处理")

    @model_validator(mode="after")
    def _one_of(self) -> TurnIn:
        if (self.text is None) == (self.choice is None):
            raise ValueError("text（输入的文字）和 choice（所选选项）须且只须提供一个")
        return self


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"profile": {"org_type": "enterprise", "triggers": ["hitech_enterprise"],
                                  "figures": {"rd_investment_last_year": "1200万"}}}]
    })

    profile: dict[str, Any] = Field(description="单位信息：org_type、triggers、figures（见 README）")


class ArticleOut(BaseModel):
    article: int
    title: str


class ClauseOut(BaseModel):
    clause: str
    text: str


class ArticleDetail(BaseModel):
    article: int
    title: str
    label: str
    chapter: int
    chapter_title: str
    clauses: list[ClauseOut]
    departments: list[str]


def article_number(n: str, total: int = 30) -> int:
    if not n.isdigit() or not 1 <= int(n) <= total:
        raise NotFound(f"没有第 {n[:10]} 条：请用 1 到 {total} 之间的序号，例如 /api/articles/15。",
                       code="no_such_article")
    return int(n)


def build_router(app_state) -> APIRouter:
    router = APIRouter()

    @router.post("/api/turn", response_model=Reply, tags=["对话"], summary="一轮对话",
                 responses={422: {"description": "请求不符合要求，或 choice 不是上一条回复的选项（会话不变）"}})
    async def turn(body: TurnIn) -> Any:
        client_id = body.session or "s-" + secrets.token_urlsafe(12)
        session = "api-" + client_id
        try:
            reply, _ = await asyncio.to_thread(app_state.turns.turn, session, text=body.text, choice=body.choice,
                                               request_id=body.request_id)
        except ChoiceNotOffered as exc:
            raise Unprocessable(str(exc), code="choice_not_offered") from None
        return JSONResponse(reply.model_copy(update={"session": client_id}).to_json_dict())

    @router.delete("/api/sessions/{session}", status_code=204, tags=["对话"], summary="删除会话的全部数据")
    async def delete_session(session: str) -> Response:
        if not SESSION_RE.match(session):
            raise NotFound("没有这个会话 ID 的格式：会话 ID 只含字母、数字和 - _ . :", code="not_found")
        await asyncio.to_thread(app_state.turns.forget, "api-" + session)
        return Response(status_code=204)

    @router.get("/api/articles", response_model=list[ArticleOut], tags=["政策"], summary="30条目录")
    async def articles() -> Any:
        return [{"article": a.number, "title": a.title} for a in app_state.policy.articles]

    @router.get("/api/articles/{n}", response_model=ArticleDetail, tags=["政策"], summary="一条政策及其条款")
    async def article(n: str) -> Any:
        a = app_state.policy.article(article_number(n, len(app_state.policy.articles)))
        return {
            "article": a.number, "title": a.title, "label": a.label, "chapter": a.chapter,
            "chapter_title": a.chapter_title, "clauses": [{"clause": c.id, "text": c.text} for c in a.clauses],
            "departments": list(a.departments),
        }

    @router.post("/api/benefits", tags=["政策"], summary="按单位信息测算可享受的资金支持")
    async def benefits(body: ProfileIn) -> Any:
        from calculators.evaluate import ProfileError, evaluate, profile_from_json
        from calculators.money import AmountError

        try:
            profile = profile_from_json(body.profile, app_state.catalogue)
            report = evaluate(profile, app_state.catalogue)
        except (ProfileError, AmountError, ValueError, TypeError) as exc:
            raise Unprocessable(
                "单位信息（profile）有误，请按 README 的 Profile keys 检查 org_type、triggers、figures 的写法。",
                code="bad_profile", detail=str(exc)[:300]) from None
        return report.model_dump(mode="json")

    @router.get("/healthz", tags=["运维"], summary="就绪检查")
    async def healthz() -> Any:
        if app_state.ready.is_set():
            return {"ok": True}
        if app_state.warm_error:
            return JSONResponse({"ok": False, "error": "检索索引加载失败，请查看服务日志后重启。",
                                 "code": "index_failed"}, status_code=503)
        return JSONResponse({"ok": False, "error": "正在加载检索索引，请稍候再试。", "code": "starting"},
                            status_code=503)

    return router
