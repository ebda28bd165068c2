"""Settings: the ONLY place that reads os.environ (CONTRACT.md §5)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path(".policybot"), alias="POLICYBOT_DATA_DIR")
    telegram_bot_token: str | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str | None = Field(default=None, alias="TELEGRAM_API_BASE_URL")
    # the public HTTPS URL Telegram posts updates to; with a token, `policybot serve` (every worker)
    # answers it at this URL's path (bot/serve.py) instead of `policybot telegram` polling
    telegram_webhook_url: str | None = Field(default=None, alias="POLICYBOT_TELEGRAM_WEBHOOK_URL")
    openai_api_key: str | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    llm_model: str | None = Field(default=None, alias="POLICYBOT_LLM_MODEL")
    # shared state for several workers (postgresql://…); unset: SQLite files in the data dir
    database_url: str | None = Field(default=None, alias="POLICYBOT_DATABASE_URL")
    retention_days: float = Field(default=30, gt=0, alias="POLICYBOT_RETENTION_DAYS")
    # how long a turn waits for a session another writer holds before answering unsaved
    store_busy_timeout_s: float = Field(default=5.0, gt=0, le=600, alias="POLICYBOT_STORE_BUSY_TIMEOUT_S")

    # Web (`policybot serve`). Per-client rate limit: a token bucket of `rate_limit_burst` requests
    # refilled at `rate_limit_per_s`; a client over it waits up to a second for its turn (so one
    # request at a time, like a replay, is slowed, never refused) and gets 429 beyond that.
    rate_limit_per_s: float = Field(default=10.0, gt=0, alias="POLICYBOT_RATE_LIMIT_PER_S")
    rate_limit_burst: int = Field(default=60, ge=1, alias="POLICYBOT_RATE_LIMIT_BURST")
    # Copilot logins: this many wrong passwords in a row lock the name for `login_lockout_minutes`.
    login_max_failures: int = Field(default=5, ge=1, alias="POLICYBOT_LOGIN_MAX_FAILURES")
    login_lockout_minutes: float = Field(default=15, gt=0, alias="POLICYBOT_LOGIN_LOCKOUT_MINUTES")
    staff_session_hours: float = Field(default=8, gt=0, alias="POLICYBOT_STAFF_SESSION_HOURS")

    # LLM mode (bot/llm): the whole turn has llm_timeout_s; past it the deterministic reply is sent.
    llm_timeout_s: float = Field(default=15.0, gt=0, le=600, alias="POLICYBOT_LLM_TIMEOUT_S")
    # Retries inside the openai client; every retry still has to fit in the whole-turn deadline.
    llm_max_retries: int = Field(default=0, ge=0, le=5, alias="POLICYBOT_LLM_MAX_RETRIES")
    llm_temperature: float = Field(default=0.2, ge=0, le=2, alias="POLICYBOT_LLM_TEMPERATURE")
    llm_max_tokens: int = Field(default=1024, ge=0, le=32768, alias="POLICYBOT_LLM_MAX_TOKENS")  # 0: not sent
    # Flooding: model turns per session in a rolling minute, and tokens per day (server `usage`);
    # beyond either the deterministic reply is sent. 0 turns the limit off.
    llm_turns_per_minute: int = Field(default=10, ge=0, alias="POLICYBOT_LLM_TURNS_PER_MINUTE")
    llm_daily_tokens: int = Field(default=2_000_000, ge=0, alias="POLICYBOT_LLM_DAILY_TOKENS")
    # Conversation memory sent to the model: the last N messages (user and assistant), stored
    # with the session and erased with it.
    llm_history_messages: int = Field(default=12, ge=0, le=100, alias="POLICYBOT_LLM_HISTORY_MESSAGES")

    @property
    def llm_configured(self) -> bool:
        """A model name turns LLM mode on (CONTRACT.md §5)."""
        return bool(self.llm_model)

    @property
    def sessions_db(self) -> Path:
        return self.data_dir / "sessions.sqlite3"

    @property
    def web_db(self) -> Path:
        """Web chat transcripts, copilot staff and cases (bot/web/store.py)."""
        return self.data_dir / "web.sqlite3"

    @property
    def telegram_db(self) -> Path:
        return self.data_dir / "telegram.sqlite3"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


class SettingsError(ValueError):
    """An environment variable with a value the settings cannot take; the message (Chinese) names it."""


def load_settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        names = "、".join(str(e["loc"][0]) for e in exc.errors() if e.get("loc")) or "某个环境变量"
        raise SettingsError(f"环境变量 {names} 的值不对（{exc.errors()[0].get('msg', '')}）：请改正或删除后重试，"
                            "各变量的含义见 README 的 Environment 一段。") from None
