"""HttpTransport against a real tiny HTTP server on 127.0.0.1 (stdlib http.server, in a thread)."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from replay_fakes import make_reply

from bot.replay import HttpTransport, TransportError, replay_paths, run_dialogue
from bot.replay.loader import load_dialogue
from bot.replay.transports import http_transport_factory


class FakeBotServer:
    """Answers POST /api/turn with queued (status, body) pairs; records every request body."""

    def __init__(self) -> None:
        self.queue: deque[tuple[int, bytes]] = deque()
        self.requests: list[tuple[str, dict]] = []

    def enqueue_reply(self, reply) -> None:
        self.queue.append((200, json.dumps(reply.to_json_dict(), ensure_ascii=False).encode()))

    def enqueue_raw(self, status: int, body: bytes) -> None:
        self.queue.append((status, body))

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append((self.path, body))
                status, payload = server.queue.popleft() if server.queue else (500, b"nothing queued")
                if self.path != "/api/turn":
                    status, payload = 404, b"not found"
                if status == 200 and payload.startswith(b"{"):
                    data = json.loads(payload)
                    data["session"] = body["session"]
                    payload = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        return Handler


@contextmanager
def serve_in_thread(bot: FakeBotServer) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), bot.handler())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def bot():
    fake = FakeBotServer()
    with serve_in_thread(fake) as url:
        fake.url = url
        yield fake


def test_a_turn_posts_the_documented_json_and_parses_the_reply(bot):
    bot.enqueue_reply(make_reply("第十五条：30万元", citations=[15], benefits=[{"article": 15, "amount_yuan": 300000}]))
    bot.enqueue_reply(make_reply("好的"))
    transport = HttpTransport(bot.url + "/")
    try:
        reply = transport.turn("replay-x", "高企能拿多少", None)
        transport.turn("replay-x", None, "企业")
    finally:
        transport.close()
    assert reply.session == "replay-x"
    assert reply.citations[0].article == 15 and reply.benefits[0].amount_yuan == 300000
    assert bot.requests == [
        ("/api/turn", {"session": "replay-x", "text": "高企能拿多少", "choice": None}),
        ("/api/turn", {"session": "replay-x", "text": None, "choice": "企业"}),
    ]


def test_replay_over_http_end_to_end(bot, write, console_out):
    bot.enqueue_reply(make_reply("请选择", choices=["企业", "高校"]))
    bot.enqueue_reply(make_reply("第十五条", citations=[15], asks=["研发投入？"]))
    path = write("http.yaml", "turns:\n  - user: 开始\n  - choice: 企业\n    expect: {first_citation: 15, asks_nonempty: true}\n")
    console, out = console_out
    assert replay_paths([path], transport_factory=http_transport_factory(bot.url), console=console) == 0
    assert out.getvalue().rstrip().endswith("1 passed, 0 failed")
    sessions = {body["session"] for _, body in bot.requests}
    assert len(sessions) == 1 and sessions.pop().startswith("replay-")


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (500, b"Internal Server Error", "answered 500: Internal Server Error"),
        (200, b"not json", "did not answer a Reply object"),
        (200, b'{"covered": "maybe"}', "did not answer a Reply object"),
    ],
)
def test_bad_answers_are_transport_errors(bot, status, body, message):
    bot.enqueue_raw(status, body)
    transport = HttpTransport(bot.url)
    with pytest.raises(TransportError, match=message):
        transport.turn("s", "hi", None)
    transport.close()


def test_an_unreachable_server_fails_the_turn_not_the_run(write):
    with serve_in_thread(FakeBotServer()) as url:
        pass  # the port is closed again now
    path = write("down.yaml", "turns:\n  - user: 你好\n  - user: 在吗\n")
    transport = HttpTransport(url, timeout=2)
    result = run_dialogue(load_dialogue(path), transport)
    transport.close()
    assert not result.ok and result.not_run == 1
    assert "TransportError" in result.turns[0].error and "ConnectError" in result.turns[0].error
