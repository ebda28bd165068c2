"""The one place that talks to the model: langchain-openai's ChatOpenAI against any
OpenAI-compatible /v1/chat/completions (vLLM, Ollama's /v1, DeepSeek, Qwen's compatible mode,
OpenAI), with the tools bound per call. langchain is imported on first use, so deterministic mode
never pays its import (~1.3 s).

    model = ChatModel(base_url="http://127.0.0.1:11434/v1", api_key="local", model="qwen2.5:7b")
    completion = model.complete(messages, tools=specs, timeout=4.2)   # -> Completion
    # raises ModelUnavailable(cause) for every transport or HTTP failure (bot/llm/faults.py)

`timeout` is per call and is what is left of the turn's deadline; the openai client's own
default would be 600 s. Token counts come from the server's `usage` (tiktoken would download
its BPE file at run time); a server that reports none is estimated from the characters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from bot.llm.faults import BadOutput, ModelUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Call:
    id: str
    name: str
    arguments: dict


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    calls: tuple[Call, ...] = ()
    call_id: str = ""


@dataclass(frozen=True)
class Completion:
    text: str
    calls: tuple[Call, ...]
    malformed: int  # tool calls whose arguments were not a JSON object
    finish_reason: str | None
    tokens: int  # from the server's usage (estimated when it sends none)
    usage_reported: bool


def classify(error: BaseException) -> str:
    """The fallback cause for an exception raised by the openai client."""
    import openai

    if isinstance(error, openai.APITimeoutError):
        return "timeout"
    if isinstance(error, openai.APIConnectionError):
        return "connection"
    if isinstance(error, openai.RateLimitError):
        return "rate_limited"
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return "auth"
    if isinstance(error, openai.NotFoundError):
        return "not_found"
    if isinstance(error, openai.BadRequestError):
        return "bad_request"
    if isinstance(error, openai.APIStatusError):
        return "server_error" if error.status_code >= 500 else "http_error"
    if isinstance(error, openai.APIError):
        return "bad_response"
    return "bad_response"


class ChatModel:
    def __init__(self, *, base_url: str, api_key: str, model: str, max_retries: int = 0,
                 temperature: float = 0.2, max_tokens: int | None = 1024):
        self.base_url, self.model = base_url, model
        self._params = dict(base_url=base_url, api_key=api_key, model=model, max_retries=max_retries,
                            temperature=temperature, max_tokens=max_tokens)
        self._chat = None

    def warm(self) -> None:
        """Import langchain and build the client now (a server start), not inside a turn's deadline."""
        self._client()

    def _client(self):
        if self._chat is None:
            from langchain_openai import ChatOpenAI

            # use_responses_api=False: compatible servers implement chat completions only.
            self._chat = ChatOpenAI(**self._params, timeout=30, use_responses_api=False)
        return self._chat

    def complete(self, messages: list[Message], *, tools: list[dict], timeout: float) -> Completion:
        import openai

        bound = self._client().bind_tools(tools) if tools else self._client()
        try:
            ai = bound.invoke(_to_langchain(messages), timeout=max(0.05, timeout))
        except openai.APIError as exc:
            raise ModelUnavailable(classify(exc), type(exc).__name__) from exc
        except Exception as exc:  # a body that is not a chat completion (no choices, wrong shapes, …)
            raise ModelUnavailable("bad_response", type(exc).__name__) from exc
        text = ai.content if isinstance(ai.content, str) else _text_of(ai.content)
        calls = tuple(Call(id=c.get("id") or f"call_{i}", name=c["name"], arguments=c.get("args") or {})
                      for i, c in enumerate(ai.tool_calls))
        usage = ai.usage_metadata or {}
        tokens = int(usage.get("total_tokens") or 0)
        reported = bool(usage)
        if not reported:
            tokens = _estimate(messages, text)
        return Completion(text=text or "", calls=calls, malformed=len(ai.invalid_tool_calls),
                          finish_reason=(ai.response_metadata or {}).get("finish_reason"),
                          tokens=tokens, usage_reported=reported)


def _text_of(content) -> str:
    """Content given as a list of parts: the text parts joined."""
    if not isinstance(content, list):
        raise BadOutput("bad_response")
    return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)


def _estimate(messages: list[Message], text: str) -> int:
    """Roughly one token per 1.5 characters of Chinese (only when the server reports no usage)."""
    chars = sum(len(m.content) for m in messages) + len(text)
    return int(chars / 1.5) + 1


def _to_langchain(messages: list[Message]) -> list:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    out = []
    for m in messages:
        if m.role == "system":
            out.append(SystemMessage(m.content))
        elif m.role == "user":
            out.append(HumanMessage(m.content))
        elif m.role == "assistant":
            out.append(AIMessage(content=m.content, tool_calls=[
                {"name": c.name, "args": c.arguments, "id": c.id, "type": "tool_call"} for c in m.calls]))
        else:
            out.append(ToolMessage(content=m.content, tool_call_id=m.call_id))
    return out
