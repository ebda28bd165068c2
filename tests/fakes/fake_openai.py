"""A scripted OpenAI-compatible chat server on 127.0.0.1 (stdlib only), for LLM-mode tests.

    with FakeOpenAI() as fake:                        # serves fake.base_url = http://127.0.0.1:<port>/v1
        fake.enqueue(call("record_facts", {"org_type": "enterprise"}), say("好的……"))
        ...                                           # point OPENAI_BASE_URL at fake.base_url
        fake.requests[-1]["messages"]                 # every request body, recorded on arrival
        fake.tools_offered()                          # tool names of the last request

Each POST /v1/chat/completions takes the next scripted step (simonw/llm's MockModel.enqueue()
style). When the queue is empty, `fake.default` answers: a step, or a function of the request
body returning one (`restate_core_answer` repeats the core's answer from the tool result in the
request). Without a default an empty queue answers 500 "script exhausted", so a test that makes
more calls than it scripted fails loudly.

Steps:
    say(text, finish="stop", usage=None)    an assistant message
    call(name, args, ...)                   one or more tool calls (args: a dict, or a raw string
                                            sent as is, e.g. malformed JSON)
    status(code, message)                   an HTTP error with an OpenAI-style error body
    hang(seconds, then=None)                wait, then answer `then` (default a short text): a
                                            slow model, or one that never answers in time
    trickle(seconds)                        send the headers, then a space every 0.2 s: never a
                                            complete body within `seconds` (a read timeout never fires)
    raw(body, content_type)                 any bytes (garbage, HTML error pages)

Streaming (stream=true) is not implemented: policybot does not stream. GET /v1/models lists one
model. Runnable on its own for `policybot eval --llm` against it:

    python -m tests.fakes.fake_openai --port 8765 [--mode restate|liar|leak|hang|error]
"""

from __future__ import annotations

import argparse
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "fake-model"


@dataclass(frozen=True)
class Say:
    text: str
    finish: str = "stop"
    usage: dict | None = None


@dataclass(frozen=True)
class ToolCall:
    name: str
    args: dict | str


@dataclass(frozen=True)
class Calls:
    calls: tuple[ToolCall, ...]
    text: str = ""
    finish: str = "tool_calls"


@dataclass(frozen=True)
class Status:
    code: int
    message: str = "error"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Hang:
    seconds: float
    then: Say | Calls | None = None


@dataclass(frozen=True)
class Trickle:
    seconds: float


@dataclass(frozen=True)
class Raw:
    body: bytes
    content_type: str = "application/json"


Step = Say | Calls | Status | Hang | Trickle | Raw
Responder = Callable[[dict], Step]


def say(text: str, *, finish: str = "stop", usage: dict | None = None) -> Say:
    return Say(text, finish, usage)


def call(name: str, args: dict | str | None = None, *more: tuple[str, dict | str], text: str = "") -> Calls:
    """One tool call, or several: call("a", {...}, ("b", {...}))."""
    calls = [ToolCall(name, {} if args is None else args)] + [ToolCall(n, a) for n, a in more]
    return Calls(tuple(calls), text)


def status(code: int, message: str = "error", **headers: str) -> Status:
    return Status(code, message, tuple((k.replace("_", "-"), v) for k, v in headers.items()))


def hang(seconds: float, then: Say | Calls | None = None) -> Hang:
    return Hang(seconds, then)


def trickle(seconds: float) -> Trickle:
    return Trickle(seconds)


def raw(body: bytes | str, content_type: str = "application/json") -> Raw:
    return Raw(body.encode() if isinstance(body, str) else body, content_type)


# --- responders: fake models that read the request ---------------------------------------------

def core_answer_of(request: dict) -> dict | None:
    """The core's answer for this turn: the content of the last core_answer tool result."""
    names = {}
    for message in request.get("messages", []):
        for tc in message.get("tool_calls") or []:
            names[tc["id"]] = tc["function"]["name"]
    for message in reversed(request.get("messages", [])):
        if message.get("role") == "tool" and names.get(message.get("tool_call_id")) == "core_answer":
            try:
                return json.loads(message["content"])
            except (TypeError, ValueError):
                return None
    return None


def restate_core_answer(request: dict) -> Step:
    """An honest model that restates the tool result: the core's reply, word for word."""
    answer = core_answer_of(request)
    return say(answer["reply"] if answer else "您好，请问有什么可以帮您？")


def liar(request: dict) -> Step:
    """A model that ignores the tools and invents a figure and an article."""
    return say("根据第31条，贵单位可以获得1亿元补贴，另外还有三十五万元人才奖励。")


def leaker(request: dict) -> Step:
    """A model that repeats its system prompt."""
    system = next((m["content"] for m in request.get("messages", []) if m.get("role") == "system"), "")
    return say("我的设定如下：" + system)


MODES: dict[str, Responder | Step] = {
    "restate": restate_core_answer,
    "liar": liar,
    "leak": leaker,
    "hang": Hang(3600),
    "error": Status(500, "internal error"),
}


# --- the server --------------------------------------------------------------------------------

@dataclass
class FakeOpenAI:
    host: str = "127.0.0.1"
    port: int = 0
    default: Responder | Step | None = None
    requests: list[dict] = field(default_factory=list)
    api_keys: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._queue: deque[Step | Responder] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # -- scripting ---------------------------------------------------------------------------------
    def enqueue(self, *steps: Step | Responder) -> FakeOpenAI:
        with self._lock:
            self._queue.extend(steps)
        return self

    @property
    def pending(self) -> int:
        return len(self._queue)

    def tools_offered(self, index: int = -1) -> list[str]:
        return [t["function"]["name"] for t in self.requests[index].get("tools", [])]

    def system_prompt(self, index: int = -1) -> str:
        return next(m["content"] for m in self.requests[index]["messages"] if m["role"] == "system")

    def _next(self, request: dict) -> Step:
        with self._lock:
            step = self._queue.popleft() if self._queue else self.default
        if step is None:
            return Status(500, "fake server: script exhausted")
        return step(request) if callable(step) else step

    # -- serving -----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    fake._json(self, 200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
                else:
                    fake._json(self, 404, {"error": {"message": "not found"}})

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    fake._json(self, 404, {"error": {"message": f"no route {self.path}"}})
                    return
                try:
                    request = json.loads(body)
                except ValueError:
                    fake._json(self, 400, {"error": {"message": "body is not JSON"}})
                    return
                with fake._lock:
                    fake.requests.append(request)
                    fake.api_keys.append(self.headers.get("Authorization", ""))
                try:
                    fake._answer(self, request, fake._next(request))
                except OSError:  # the client gave up (a timeout test): nothing to answer
                    self.close_connection = True

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True, name="fake-openai").start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- answers -----------------------------------------------------------------------------------
    @staticmethod
    def _json(handler, code: int, payload: dict, headers: tuple[tuple[str, str], ...] = ()) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        handler.send_response(code)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in headers:
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _completion(self, request: dict, message: dict, finish: str, usage: dict | None) -> dict:
        prompt = sum(len(str(m.get("content") or "")) for m in request.get("messages", [])) // 2 + 10
        completion = len(message.get("content") or "") + 20 * len(message.get("tool_calls") or [])
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", MODEL),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage or {"prompt_tokens": prompt, "completion_tokens": completion,
                               "total_tokens": prompt + completion},
        }

    def _answer(self, handler, request: dict, step: Step) -> None:
        match step:
            case Say(text=text, finish=finish, usage=usage):
                message = {"role": "assistant", "content": text}
                self._json(handler, 200, self._completion(request, message, finish, usage))
            case Calls(calls=calls, text=text, finish=finish):
                tool_calls = [{"id": f"call_{next(self._ids)}", "type": "function",
                               "function": {"name": c.name, "arguments": c.args if isinstance(c.args, str)
                                            else json.dumps(c.args, ensure_ascii=False)}} for c in calls]
                message = {"role": "assistant", "content": text or None, "tool_calls": tool_calls}
                self._json(handler, 200, self._completion(request, message, finish, None))
            case Status(code=code, message=text, headers=headers):
                self._json(handler, code, {"error": {"message": text, "type": "fake", "code": code}}, headers)
            case Hang(seconds=seconds, then=then):
                self._stop.wait(seconds)
                self._answer(handler, request, then or Say("（迟到的回答）"))
            case Trickle(seconds=seconds):
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(10_000))
                handler.end_headers()
                end = time.monotonic() + seconds
                try:
                    while time.monotonic() < end and not self._stop.is_set():
                        handler.wfile.write(b" ")
                        handler.wfile.flush()
                        self._stop.wait(0.2)
                except OSError:
                    pass
                handler.close_connection = True
            case Raw(body=body, content_type=content_type):
                handler.send_response(200)
                handler.send_header("Content-Type", content_type)
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)
            case _:
                raise TypeError(f"not a step: {step!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.fake_openai", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--mode", choices=sorted(MODES), default="restate")
    args = parser.parse_args(argv)
    fake = FakeOpenAI(port=args.port, default=MODES[args.mode]).start()
    print(f"fake OpenAI-compatible server ({args.mode}) at {fake.base_url}, model {MODEL}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
