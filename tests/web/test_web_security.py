"""BAD_INPUTS 6, 21, 22, 28–30 for the web: escaping, CSP, CSRF, auth, staff isolation, cookies,
lockout, rate limits, logs without user text, deleting every trace. httpx against real uvicorn."""

from __future__ import annotations

import logging
import re
import threading
import time

import httpx
import pytest
from web_harness import STAFF_NAME, STAFF_PASSWORD, running_app

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SENTINEL = "鸿雁星辰科技有限公司"


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def chat_client(base: str) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=base, timeout=30)
    page = c.get("/")
    return c, csrf_of(page.text)


def staff_client(base: str, name=STAFF_NAME, password=STAFF_PASSWORD) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=base, timeout=30)
    form = c.get("/copilot/login")
    r = c.post("/copilot/login", data={"csrf": csrf_of(form.text), "name": name, "password": password})
    assert r.status_code == 303, r.text
    home = c.get("/copilot")
    assert home.status_code == 200
    return c, csrf_of(home.text)


# --- escaping and CSP --------------------------------------------------------------------------
def test_pages_escape_user_text_and_have_no_inline_script(base_url):
    c, csrf = chat_client(base_url)
    r = c.post("/chat", data={"csrf": csrf, "text": PAYLOAD})
    assert r.status_code == 303
    html = c.get("/").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html and '<script>alert' not in html
    # every script of every page comes from a file of this server (the CSP allows nothing else)
    s, s_csrf = staff_client(base_url)
    case = s.post("/copilot/cases", data={"csrf": s_csrf, "text": PAYLOAD})
    pages = [html, c.get("/articles/15").text, c.get("/copilot/login").text, s.get(case.headers["location"]).text]
    for page in pages:
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert re.search(r'\bsrc="/(static|docs-static)/', tag), tag
        assert not re.search(r"\son[a-z]+=", page.replace("onerror=alert(1)&gt;", "")), "inline event handler"
    assert "&lt;script&gt;" in pages[-1]


def test_security_headers(client):
    for path in ("/", "/api/articles", "/copilot/login", "/nothing-here"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-" not in csp  # no inline script or style, no eval
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
    assert client.get("/").headers["cache-control"] == "no-store"
    assert "server" not in client.get("/healthz").headers
    # only /docs (Swagger UI styles itself inline) relaxes style-src; its scripts stay 'self'
    docs = client.get("/docs").headers["content-security-policy"]
    assert "style-src 'self' 'unsafe-inline'" in docs and "script-src 'self';" in docs


# --- CSRF ----------------------------------------------------------------------------------------
def test_chat_posts_need_the_csrf_token_of_this_browser(base_url):
    c, csrf = chat_client(base_url)
    other, other_csrf = chat_client(base_url)
    for data in ({"text": "你好"}, {"text": "你好", "csrf": "forged"}, {"text": "你好", "csrf": other_csrf}):
        r = c.post("/chat", data=data, headers={"accept": "text/html"})
        assert r.status_code == 403 and "刷新页面" in r.text
    assert c.post("/chat/delete", data={"csrf": other_csrf}).status_code == 403
    assert c.post("/chat/reset", data={}).status_code == 403
    assert c.post("/chat", data={"text": "你好", "csrf": csrf}).status_code == 303
    # without the cookie (a cross-site form post carries the victim's cookie only with SameSite=None)
    bare = httpx.Client(base_url=base_url)
    assert bare.post("/chat", data={"text": "你好", "csrf": csrf}).status_code == 403
    for cl in (c, other, bare):
        cl.close()


def test_copilot_posts_need_the_csrf_token(base_url):
    s, csrf = staff_client(base_url)
    assert s.post("/copilot/cases", data={"text": "高企能拿多少"}).status_code == 403
    assert s.post("/copilot/cases", data={"text": "高企能拿多少", "csrf": "x" * 32}).status_code == 403
    assert s.post("/copilot/logout", data={}).status_code == 403
    r = s.post("/copilot/api/cases", json={"text": "高企能拿多少"})
    assert r.status_code == 403 and r.json()["code"] == "csrf"
    assert s.post("/copilot/api/cases", json={"text": "高企能拿多少"}, headers={"x-csrf-token": csrf}).status_code == 201
    # the login form has its own token, tied to the pre-login cookie
    bare = httpx.Client(base_url=base_url)
    r = bare.post("/copilot/login", data={"name": STAFF_NAME, "password": STAFF_PASSWORD, "csrf": "x"})
    assert r.status_code == 403 and "pb_staff" not in r.cookies
    s.close()
    bare.close()


# --- authentication and isolation --------------------------------------------------------------
@pytest.mark.parametrize("path", ["/copilot", "/copilot/cases/abc", "/copilot/cases/abc/export.md"])
def test_copilot_pages_need_a_login(client, path):
    r = client.get(path, headers={"accept": "text/html"})
    assert r.status_code == 303 and r.headers["location"].startswith("/copilot/login")


@pytest.mark.parametrize(("method", "path"), [("GET", "/copilot/api/cases"), ("POST", "/copilot/api/cases"),
                                              ("GET", "/copilot/api/cases/abc"),
                                              ("POST", "/copilot/api/cases/abc/turns")])
def test_copilot_api_needs_a_login(client, method, path):
    r = client.request(method, path, json={"text": "x"})
    assert r.status_code == 401 and r.json()["code"] == "login_required"
    with httpx.Client(base_url=str(client.base_url), cookies={"pb_staff": "made-up-token"}) as c:
        assert c.request(method, path, json={"text": "x"}).status_code == 401


def test_a_staff_member_sees_only_their_own_cases(base_url, server):
    _, app = server
    app.state.web.accounts.add("zhao", "another-pass-7")
    a, a_csrf = staff_client(base_url)
    b, b_csrf = staff_client(base_url, "zhao", "another-pass-7")
    made = a.post("/copilot/api/cases", json={"text": "王的案例：高企能拿多少"}, headers={"x-csrf-token": a_csrf}).json()
    case = made["case"]
    assert a.get(f"/copilot/cases/{case}").status_code == 200
    assert b.get(f"/copilot/cases/{case}").status_code == 404
    assert b.get(f"/copilot/cases/{case}/export.md").status_code == 404
    assert b.get(f"/copilot/api/cases/{case}").status_code == 404
    r = b.post(f"/copilot/api/cases/{case}/turns", json={"text": "国家企业技术中心"}, headers={"x-csrf-token": b_csrf})
    assert r.status_code == 404
    assert b.post(f"/copilot/cases/{case}/delete", data={"csrf": b_csrf}).status_code == 404
    assert case not in b.get("/copilot").text and case not in str(b.get("/copilot/api/cases").json())
    assert len(a.get(f"/copilot/api/cases/{case}").json()["turns"]) == 1  # b's attempts changed nothing
    a.close()
    b.close()


def _login_with(base: str, planted: str | None = None) -> httpx.Response:
    c = httpx.Client(base_url=base)
    form = c.get("/copilot/login")
    if planted:  # a cookie set before the login (an attacker's, or an earlier login's)
        c.cookies.set("pb_staff", planted, domain="127.0.0.1", path="/copilot")
    r = c.post("/copilot/login", data={"csrf": csrf_of(form.text), "name": STAFF_NAME, "password": STAFF_PASSWORD})
    c.close()
    return r


def test_login_cookie_is_httponly_samesite_and_rotated(base_url):
    form = httpx.get(base_url + "/copilot/login")
    pre = form.headers["set-cookie"]
    assert pre.startswith("pb_login=") and "HttpOnly" in pre and re.search(r"SameSite=strict", pre, re.I)
    r = _login_with(base_url)
    staff = next(x for x in r.headers.get_list("set-cookie") if x.startswith("pb_staff="))
    assert "HttpOnly" in staff and re.search(r"SameSite=strict", staff, re.I) and "Path=/copilot" in staff
    first = r.cookies.get("pb_staff")
    assert first and first not in pre
    # a session id fixed before the login is never adopted
    planted = _login_with(base_url, planted="attacker-chosen-value").cookies.get("pb_staff")
    assert planted and planted != "attacker-chosen-value"
    # logging in again in a browser that still holds the first login: a new token, the old one dead
    second = _login_with(base_url, planted=first).cookies.get("pb_staff")
    assert second and second != first

    def works(token: str) -> bool:
        with httpx.Client(base_url=base_url, cookies={"pb_staff": token}) as c:
            return c.get("/copilot/api/cases").status_code == 200

    assert not works(first) and works(second) and not works("attacker-chosen-value")


def test_lockout_after_repeated_failures(knowledge, data_dir, tmp_path):
    with running_app(knowledge, data_dir, tmp_path, POLICYBOT_LOGIN_MAX_FAILURES=3) as (base, app):
        app.state.web.accounts.add("sun", "sun-password-1")

        def attempt(name, password):
            c = httpx.Client(base_url=base)
            form = c.get("/copilot/login")
            r = c.post("/copilot/login", data={"csrf": csrf_of(form.text), "name": name, "password": password})
            c.close()
            return r

        assert "再错 2 次" in attempt("sun", "nope").text
        assert "再错 1 次" in attempt("sun", "nope").text
        locked = attempt("sun", "nope")
        assert locked.status_code == 429 and "锁定" in locked.text and "分钟后再试" in locked.text
        right = attempt("sun", "sun-password-1")
        assert right.status_code == 429 and "pb_staff" not in right.cookies
        # a name that does not exist behaves the same (no way to probe for accounts)
        for _ in range(2):
            assert attempt("nobody", "x").status_code == 401
        assert attempt("nobody", "x").status_code == 429
        # `policybot staff add` (a password reset) lifts the lockout
        app.state.web.accounts.add("sun", "sun-password-2")
        assert attempt("sun", "sun-password-2").status_code == 303


# --- rate limit ----------------------------------------------------------------------------------
def test_rate_limit_refuses_a_flood_and_slows_a_steady_client(knowledge, data_dir, tmp_path):
    with running_app(knowledge, data_dir, tmp_path, POLICYBOT_RATE_LIMIT_PER_S=5,
                     POLICYBOT_RATE_LIMIT_BURST=5) as (base, _):
        time.sleep(1.2)  # healthz polls are exempt, but let the bucket be full
        statuses: list[int] = []
        bodies: list[httpx.Response] = []
        lock = threading.Lock()

        def hit():
            r = httpx.get(base + "/api/articles", timeout=30)
            with lock:
                statuses.append(r.status_code)
                bodies.append(r)

        threads = [threading.Thread(target=hit) for _ in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses.count(200) >= 5 and statuses.count(429) >= 20, statuses
        refused = next(r for r in bodies if r.status_code == 429)
        assert refused.json()["code"] == "rate_limited" and "稍" in refused.json()["error"] or "秒后" in refused.json()["error"]
        assert int(refused.headers["retry-after"]) >= 1
        # one request at a time: slowed to the rate, never refused
        time.sleep(1.2)
        started = time.monotonic()
        with httpx.Client(base_url=base) as c:
            got = [c.get("/api/articles").status_code for _ in range(15)]
        assert got == [200] * 15
        assert time.monotonic() - started >= 1.5  # 5 at once, then 10 at 5/s


# --- logs and deletion ---------------------------------------------------------------------------
def test_no_user_text_in_logs(base_url, caplog):
    caplog.set_level(logging.DEBUG)
    with httpx.Client(base_url=base_url) as c:
        c.post("/api/turn", json={"session": "log-1", "text": f"{SENTINEL}研发投入1200万能补多少"})
        c.post("/api/turn", json={"session": "log-1", "choice": SENTINEL})
        c.delete("/api/sessions/log-1")
        c.get(f"/api/articles/{SENTINEL}")
    chat, csrf = chat_client(base_url)
    chat.post("/chat", data={"csrf": csrf, "text": SENTINEL})
    s, s_csrf = staff_client(base_url)
    s.post("/copilot/cases", data={"csrf": s_csrf, "text": SENTINEL})
    chat.close()
    s.close()
    assert caplog.records, "the access log should have written something"
    assert SENTINEL not in caplog.text
    assert "1200" not in caplog.text
    assert any(r.name == "bot.web.access" and "/api/sessions/{session}" in r.getMessage() for r in caplog.records)


def test_delete_my_data_leaves_no_trace(knowledge, data_dir, tmp_path):
    with running_app(knowledge, data_dir, tmp_path) as (base, _):
        c, csrf = chat_client(base)
        c.post("/chat", data={"csrf": csrf, "text": f"我们是{SENTINEL}，去年认定了国家高新技术企业"})
        c.post("/chat", data={"csrf": csrf, "text": "我想看看我们能享受哪些政策"})
        assert SENTINEL in c.get("/").text

        def found() -> list[str]:
            return [p.name for p in tmp_path.rglob("*") if p.is_file() and SENTINEL.encode() in p.read_bytes()]

        assert found()  # the transcript is kept while the chat lives
        old_cookie = c.cookies.get("pb_chat")
        r = c.post("/chat/delete", data={"csrf": csrf})
        assert r.status_code == 303 and r.headers["location"] == "/?deleted=1"
        assert found() == []
        assert c.cookies.get("pb_chat") != old_cookie
        page = c.get("/?deleted=1").text
        assert "已全部删除" in page and SENTINEL not in page
        c.close()


def test_web_files_are_private(server):
    _, app = server
    path = app.state.web.settings.web_db
    assert (path.stat().st_mode & 0o777) == 0o600
    assert ((path.parent / "web-secret.key").stat().st_mode & 0o777) == 0o600


def test_a_long_paste_fits_the_64_kb_limit_as_multipart(base_url):
    """The page forms send multipart (3 bytes a character) so a ~15,000-character thread fits in 64 KB;
    urlencoded it would be 9 bytes a character."""
    s, csrf = staff_client(base_url)
    text = "客户：" + "我们公司主要做新材料研发，" * 1100 + "国家高新技术企业能拿多少"
    assert len(text) > 14_000
    r = s.post("/copilot/cases", data={"csrf": csrf}, files={"text": (None, text.encode())})
    assert r.status_code == 303, r.text
    assert "答复草稿" in s.get(r.headers["location"]).text  # a case with a draft (what it says is the engine's)
    s.close()


def test_a_stale_button_in_the_chat_is_refused_and_changes_nothing(base_url, server):
    _, app = server
    c, csrf = chat_client(base_url)
    c.post("/chat", data={"csrf": csrf, "text": "我想看看我们能享受哪些政策"})
    c.post("/chat", data={"csrf": csrf, "choice": "企业"})
    session = "chat-" + c.cookies.get("pb_chat")
    before = app.state.web.assistant.state_of(session)
    r = c.post("/chat", data={"csrf": csrf, "choice": "高校"}, headers={"x-requested-with": "fetch"})
    assert r.status_code == 409 and "按钮已过期" in r.text
    assert app.state.web.assistant.state_of(session) == before
    assert len(app.state.web.store.turns(session)) == 2
    c.close()
