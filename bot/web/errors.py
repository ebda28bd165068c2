"""Errors the web front end answers with: JSON `{"error": "<中文：出了什么问题，下一步怎么做>", "code": "..."}`
(CONTRACT.md §6) for the API, a small Chinese page for a browser. Never a traceback.

    ApiError                  status, code, Chinese message (and an optional `detail`)
     ├── BadRequest           400  bad_json, bad_request, bad_content_type
     ├── Unauthorized         401  login_required
     ├── Forbidden            403  csrf
     ├── NotFound             404  not_found, no_such_article, no_such_case
     ├── TooLarge             413  too_large
     ├── Unprocessable        422  invalid_request, choice_not_offered, bad_profile
     └── TooManyRequests      429  rate_limited, locked_out   (with Retry-After)
    StoreError (bot/storage)  503  store_unavailable (with Retry-After): the database is busy past the
                                   busy timeout, full, read-only or down; on PostgreSQL nothing of
                                   the request was kept, so sending it again is safe

Framework errors are mapped onto the same shape: a body FastAPI cannot parse → 400 bad_json, a
body that does not fit the model → 422 invalid_request naming the field, an unknown path → 404,
a wrong method → 405, anything unexpected → 500 internal_error (logged by type and route, never
with the request's text).
"""

from __future__ import annotations

import logging
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.storage.errors import StoreError

log = logging.getLogger("bot.web")


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, detail: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.detail = detail
        self.headers = headers or {}

    def body(self) -> dict:
        out = {"error": self.message, "code": self.code}
        if self.detail:
            out["detail"] = self.detail
        return out


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "login_required"


class Forbidden(ApiError):
    status, code = 403, "csrf"


class NotFound(ApiError):
    status, code = 404, "not_found"


class TooLarge(ApiError):
    status, code = 413, "too_large"


class Unprocessable(ApiError):
    status, code = 422, "invalid_request"


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"


_STATUS_TEXT = {
    400: ("bad_request", "请求格式有误，请按接口文档（/docs）检查后重试。"),
    401: ("login_required", "请先登录客服工作台（/copilot/login）。"),
    403: ("forbidden", "没有权限执行此操作。"),
    404: ("not_found", "没有这个地址。网页版对话在 /，接口说明在 /docs。"),
    405: ("method_not_allowed", "这个地址不支持该请求方法，请查看接口文档（/docs）。"),
    413: ("too_large", "请求内容过大（上限 64 KB），请缩短后重试。"),
    415: ("bad_content_type", "请以 JSON 发送请求（Content-Type: application/json）。"),
    429: ("rate_limited", "请求过于频繁，请稍候再试。"),
}
STORE_UNAVAILABLE = ("对话存储暂时不可用（数据库繁忙或无法连接），这条消息可能没有保存。请稍后重发；"
                     "带同一个 request_id 重发不会被处理两次。")
INTERNAL = "服务器内部出错了，请稍后再试；如果一直出现，请联系管理员。"

_REASONS = {
    "missing": "缺少该字段",
    "extra_forbidden": "不认识的字段（请删除）",
    "string_type": "应为字符串",
    "string_too_long": "内容过长",
    "string_too_short": "不能为空",
    "string_pattern_mismatch": "格式不对（只可用字母、数字、- _ . :，最长128个字符）",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "bool_type": "应为 true 或 false",
    "value_error": "取值不对",
}


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path.startswith("/copilot/api/") or path in ("/healthz", "/openapi.json"):
        return True
    accept = request.headers.get("accept", "")
    return "text/html" not in accept


def validation_message(exc: RequestValidationError) -> tuple[int, str, str]:
    """(status, code, Chinese message) for a body or parameter FastAPI could not accept."""
    errors = exc.errors()
    for err in errors:
        if err.get("type") in ("json_invalid", "json_type"):
            return 400, "bad_json", "请求体不是合法的 JSON，请检查引号、逗号和括号后重试。"
        if isinstance(err.get("input"), bytes | bytearray) and tuple(err.get("loc", ())) == ("body",):
            # A body FastAPI did not read as JSON: no (or another) Content-Type.
            return 400, "bad_content_type", "请以 JSON 发送请求体，并带上请求头 Content-Type: application/json。"
    parts = []
    for err in errors[:5]:
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path")]
        field = ".".join(loc) or "请求体"
        kind = err.get("type", "")
        reason = _REASONS.get(kind)
        if kind == "value_error":
            reason = str(err.get("ctx", {}).get("error", "")) or reason
        if kind == "missing" and not loc:
            return 400, "bad_request", "缺少请求体：请发送 JSON，例如 {\"text\": \"高企能拿多少\"}。"
        parts.append(f"{field}：{reason or '不符合要求'}")
    return 422, "invalid_request", "请求内容不符合要求（" + "；".join(parts) + "）。字段说明见 /docs。"


def _error_page(request: Request, status: int, message: str, headers=None):
    templates = getattr(request.app.state, "templates", None)
    if templates is None:
        return HTMLResponse(message, status_code=status, headers=headers)
    html = templates.get_template("error.html").render(status=status, message=message)
    return HTMLResponse(html, status_code=status, headers=headers)


def respond(request: Request, status: int, code: str, message: str, *, detail: str | None = None,
            headers: dict[str, str] | None = None):
    if wants_json(request):
        body = {"error": message, "code": code}
        if detail:
            body["detail"] = detail
        return JSONResponse(body, status_code=status, headers=headers)
    return _error_page(request, status, message, headers)


def route_name(request: Request) -> str:
    """The route template (`/api/sessions/{session}`), never the raw path: paths may carry ids."""
    route = request.scope.get("route")
    return getattr(route, "path", None) or "<unmatched>"


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        if wants_json(request):
            return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)
        if isinstance(exc, Unauthorized) and "Location" in exc.headers:  # a page: off to the login form
            return RedirectResponse(exc.headers["Location"], status_code=303)
        return _error_page(request, exc.status, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        status, code, message = validation_message(exc)
        return respond(request, status, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code, message = _STATUS_TEXT.get(exc.status_code, ("error", "请求未能完成，请稍后再试。"))
        return respond(request, exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError):
        log.error("web store: %s (%s %s)", exc, request.method, route_name(request))  # no user text in it
        return respond(request, 503, "store_unavailable", STORE_UNAVAILABLE, headers={"Retry-After": "2"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        # Type, route and stack only: the message of an exception may quote the user's text.
        log.error("unhandled %s in %s %s\n%s", type(exc).__name__, request.method, route_name(request),
                  "".join(traceback.format_tb(exc.__traceback__)))
        return respond(request, 500, "internal_error", INTERNAL)
