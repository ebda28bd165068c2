"""The HTTP API (CONTRACT.md §6) through httpx against a real uvicorn on 127.0.0.1, real engine."""

from __future__ import annotations

import json

import httpx
import pytest
from web_harness import make_settings, serve_in_thread, wait_ready

from bot.dialogue.reply import Option, Reply

HITECH = "我们去年被认定为国家高新技术企业，能拿多少"


def turn(client: httpx.Client, **body) -> httpx.Response:
    return client.post("/api/turn", json=body)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"error", "code"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]), body  # a Chinese message
    assert "Traceback" not in response.text
    if code:
        assert body["code"] == code, body
    return body


def test_healthz(client):
    assert client.get("/healthz").json() == {"ok": True}


def test_one_shot_turn_is_the_reply_object(client):
    r = turn(client, text=HITECH)
    assert r.status_code == 200
    data = r.json()
    Reply.model_validate(data)
    assert data["session"].startswith("s-") and len(data["session"]) > 10
    assert data["covered"] is True and data["citations"][0]["article"] == 15
    assert {"article": 15, "amount_yuan": 300000, "basis": "fixed"}.items() <= data["benefits"][0].items()


def test_guided_form_through_the_api(client):
    first = turn(client, session="api-form-1", text="我想看看我们能享受哪些政策").json()
    assert first["session"] == "api-form-1" and "企业" in first["choices"]
    second = turn(client, session="api-form-1", choice="企业").json()
    assert "国家高新技术企业" in second["choices"]
    turn(client, session="api-form-1", choice="国家高新技术企业")
    last = turn(client, session="api-form-1", choice="完成").json()
    assert any(b["article"] == 15 and b["amount_yuan"] == 300000 for b in last["benefits"])
    assert last["profile"]["org_type"] == "enterprise"


def test_a_choice_not_offered_is_422_and_leaves_the_session_unchanged(client):
    turn(client, session="bad-choice", text="我想看看我们能享受哪些政策")
    turn(client, session="control", text="我想看看我们能享受哪些政策")
    body = assert_error(turn(client, session="bad-choice", choice="火星基地"), 422, "choice_not_offered")
    assert "企业" in body["error"]  # names what can be pressed
    # The same next step in both sessions gives the same answer: the bad press changed nothing.
    a = turn(client, session="bad-choice", choice="企业").json()
    b = turn(client, session="control", choice="企业").json()
    assert a["reply"] == b["reply"] and a["profile"] == b["profile"] and a["choices"] == b["choices"]
    # A fresh session has no options at all.
    assert_error(turn(client, session="never-seen", choice="企业"), 422, "choice_not_offered")


def test_articles(client):
    rows = client.get("/api/articles").json()
    assert len(rows) == 30 and rows[14]["article"] == 15 and rows[14]["title"]
    a = client.get("/api/articles/15").json()
    assert a["article"] == 15 and any(c["clause"] == "15.2" and "30万元" in c["text"] for c in a["clauses"])
    assert a["departments"]
    for bad in ("0", "31", "abc", "15.2"):
        assert_error(client.get(f"/api/articles/{bad}"), 404, "no_such_article")


def test_benefits(client):
    r = client.post("/api/benefits", json={"profile": {"org_type": "enterprise", "triggers": ["hitech_enterprise"]}})
    data = r.json()
    assert r.status_code == 200
    assert data["benefits"][0]["amount_yuan"] == 300000 and data["totals"]["one_time_yuan"] == 300000
    body = assert_error(client.post("/api/benefits", json={"profile": {"org_type": "alien"}}), 422, "bad_profile")
    assert "alien" in body["detail"]
    assert_error(client.post("/api/benefits", json={"profile": {"figures": {"rd_investment_last_year": "很多"}}}),
                 422, "bad_profile")
    assert_error(client.post("/api/benefits", json={}), 422, "invalid_request")


def test_delete_session(client, server):
    _, app = server
    turn(client, session="to-delete", text="我想看看我们能享受哪些政策")
    engine = app.state.web.assistant
    assert engine.store.exists("api-to-delete")
    r = client.delete("/api/sessions/to-delete")
    assert r.status_code == 204 and r.content == b""
    assert not engine.store.exists("api-to-delete")
    assert app.state.web.store.last_options("api-to-delete") is None
    assert_error(turn(client, session="to-delete", choice="企业"), 422, "choice_not_offered")
    assert client.delete("/api/sessions/never-existed").status_code == 204


def test_api_sessions_cannot_reach_other_front_ends(client, server):
    """A Telegram chat is engine session tg-<chat id>: the API's "tg-1" is a different session."""
    _, app = server
    engine = app.state.web.assistant
    engine.turn("tg-1", "我想看看我们能享受哪些政策")
    before = engine.store.exists("tg-1")
    data = turn(client, session="tg-1", text="重新开始").json()
    assert data["session"] == "tg-1"
    assert before and engine.store.exists("api-tg-1")
    client.delete("/api/sessions/tg-1")
    assert engine.store.exists("tg-1")


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"content": b'{"text": ', "headers": {"content-type": "application/json"}}, 400, "bad_json"),
        ({"content": b'{"text": "x"}'}, 400, "bad_content_type"),
        ({"json": {"text": "x", "colour": "red"}}, 422, "invalid_request"),
        ({"json": {"text": "x", "choice": "企业"}}, 422, "invalid_request"),
        ({"json": {}}, 422, "invalid_request"),
        ({"json": {"text": 5}}, 422, "invalid_request"),
        ({"json": {"session": "../../etc", "text": "x"}}, 422, "invalid_request"),
        ({"json": [1, 2]}, 422, "invalid_request"),
    ],
)
def test_malformed_turns(client, kwargs, status, code):
    body = assert_error(client.post("/api/turn", **kwargs), status, code)
    assert "/docs" in body["error"] or status == 400


def test_oversized_bodies_are_413(client):
    big = json.dumps({"text": "研" * 30_000}, ensure_ascii=False).encode()  # 90 KB
    assert len(big) > 64 * 1024
    assert_error(client.post("/api/turn", content=big, headers={"content-type": "application/json"}), 413, "too_large")

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(20):
            yield b" " * 8192
        yield b'{"text": "x"}'

    assert_error(client.post("/api/turn", content=chunks(), headers={"content-type": "application/json"}),
                 413, "too_large")
    # 10,000 characters is a long but legal message (BAD_INPUTS 4): a polite reply
    ok = turn(client, text="我们公司" * 2500)
    assert ok.status_code == 200 and ok.json()["reply"]


def test_unknown_paths_and_methods(client):
    assert_error(client.get("/api/nothing"), 404, "not_found")
    assert_error(client.get("/api/turn"), 405, "method_not_allowed")
    assert_error(client.put("/api/articles"), 405)


def test_openapi_and_docs(client):
    schema = client.get("/openapi.json").json()
    assert {"/api/turn", "/api/articles", "/api/articles/{n}", "/api/benefits", "/api/sessions/{session}",
            "/healthz"} <= set(schema["paths"])
    assert not any(p.startswith("/copilot/login") for p in schema["paths"])
    assert "/copilot/api/cases" in schema["paths"]  # documented; it answers 401 without a login
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert client.get("/docs-static/swagger-ui-bundle.js").status_code == 200


class OptionsAssistant:
    """A scripted Assistant whose replies carry options with ids (the dialogue core's next design)."""

    def __init__(self):
        self.calls: list[tuple] = []

    def new_session_id(self) -> str:
        return "s-fake"

    def turn(self, session_id, text=None, *, choice=None) -> Reply:
        self.calls.append((session_id, text, choice))
        return Reply(session=session_id, reply=f"收到：{choice or text}", choices=["企业", "高校"],
                     options=[Option(id="org:enterprise", label="企业"), Option(id="org:university", label="高校")])

    def delete_session(self, session_id) -> None:
        self.calls.append(("delete", session_id))


def test_options_with_ids_a_press_may_be_the_id_or_the_label(tmp_path):
    from bot.web import create_app

    fake = OptionsAssistant()
    app = create_app(fake, make_settings(tmp_path))
    with serve_in_thread(app) as base, httpx.Client(base_url=base) as c:
        wait_ready(base)
        fake.calls.clear()
        c.post("/api/turn", json={"session": "o1", "text": "你好"})
        assert c.post("/api/turn", json={"session": "o1", "choice": "企业"}).status_code == 200
        assert c.post("/api/turn", json={"session": "o1", "choice": "org:university"}).status_code == 200
        r = c.post("/api/turn", json={"session": "o1", "choice": "org:mars"})
        assert r.status_code == 422
        # the assistant always gets the id, and never saw the bad press
        assert fake.calls == [("api-o1", "你好", None), ("api-o1", None, "org:enterprise"),
                              ("api-o1", None, "org:university")]
