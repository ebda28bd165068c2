"""Why an LLM turn fell back to the deterministic reply, and why LLM mode could not start.

    Exception
    ├── Fallback                the turn is answered by the deterministic engine; `.cause` is
    │   │                       what `eval --llm` counts and the log names (never user text)
    │   ├── ModelUnavailable    timeout (the whole-turn deadline), rate_limited (429),
    │   │                       server_error (5xx), connection (refused, reset, DNS), auth (401/403),
    │   │                       not_found (404: wrong model or base URL), bad_request (400),
    │   │                       http_error (any other status), bad_response (not a completion),
    │   │                       busy (too many abandoned model calls still open)
    │   ├── BadOutput           empty (no text, no tool call), length (finish_reason=length),
    │   │                       too_long (more than 8000 characters: max_tokens was ignored),
    │   │                       bad_tool_json (tool arguments not JSON), bad_tool_args (still
    │   │                       invalid after two repairs), too_many_steps (tool calls without end)
    │   ├── Blocked             guard (the output guard found a violation; `.kinds` lists them)
    │   └── Limited             session_rate (per-session turns per minute), token_budget (daily)
    └── LLMConfigError          a model is asked for but OPENAI_BASE_URL / OPENAI_API_KEY /
                                POLICYBOT_LLM_MODEL is missing; the message says what to set
"""

from __future__ import annotations


class Fallback(Exception):
    cause = "error"

    def __init__(self, cause: str | None = None, detail: str = ""):
        super().__init__(cause or self.cause)
        self.cause = cause or self.cause
        self.detail = detail  # for the log: an error class or a count, never user text


class ModelUnavailable(Fallback):
    cause = "connection"


class BadOutput(Fallback):
    cause = "empty"


class Blocked(Fallback):
    cause = "guard"

    def __init__(self, kinds: list[str]):
        super().__init__("guard", ",".join(kinds))
        self.kinds = list(kinds)


class Limited(Fallback):
    cause = "session_rate"


class LLMConfigError(Exception):
    """LLM mode was asked for and cannot start; str(error) is a Chinese sentence saying what to set."""
