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
    openai_api_key: str | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    llm_model: str | None = Field(default=None, alias="POLICYBOT_LLM_MODEL")
    # shared state for several workers (postgresql://…); unset: SQLite files in the data dir
    database_url: str | None = Field(default=None, alias="POLICYBOT_DATABASE_URL")
    retention_days: float = Field(default=30, gt=0, alias="POLICYBOT_RETENTION_DAYS")
    # how long a turn waits for a session another writer holds before answering unsaved
    store_busy_timeout_s: float = Field(default=5.0, gt=0, le=600, alias="POLICYBOT_STORE_BUSY_TIMEOUT_S")

    @property
    def sessions_db(self) -> Path:
        return self.data_dir / "sessions.sqlite3"

    @property
    def telegram_db(self) -> Path:
        return self.data_dir / "telegram.sqlite3"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


def load_settings() -> Settings:
    return Settings()
