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
