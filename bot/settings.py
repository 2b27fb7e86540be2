"""Runtime configuration read from the environment and `.env`.

One `Settings` object is built in the composition root and injected; nothing reads the
environment anywhere else. Every key is documented in `.env.example`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API_URL = "https://api.telegram.org"


class Settings(BaseSettings):
    """All of snapreport's configuration; defaults give a working embedded deployment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    database_url: str = "sqlite+aiosqlite:///var/snapreport.sqlite3"
    redis_url: str | None = None
    media_dir: Path = Path("var/media")
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_language: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8080
    log_level: str = "INFO"
    log_json: bool = False

    draft_ttl_hours: int = Field(default=24, ge=1)
    reports_per_hour: int = Field(default=5, ge=1)
    survey_days: int = Field(default=7, ge=1)
    tasks_concurrency_limit: int = Field(default=100, ge=1)
    poll_timeout: int = Field(default=25, ge=0, le=50)
    auto_migrate: bool = True
    # A write transaction held longer than this is logged (it blocks every other writer).
    slow_write_seconds: float = Field(default=1.0, ge=0)

    rate_global_per_second: float = Field(default=30.0, gt=0)
    rate_private_per_second: float = Field(default=1.0, gt=0)
    rate_group_per_minute: float = Field(default=20.0, gt=0)

    # Transparency channel: a numeric chat id (-100…) or @username; unset = nothing public.
    public_channel_id: int | str | None = None

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        """Accept `1,2,3` (the natural way to write a list in `.env`)."""
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("public_channel_id", mode="before")
    @classmethod
    def _channel_id(cls, value: object) -> object:
        """`-100123` (from the environment, a string) is a chat id; `@name` stays a name."""
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if value.lstrip("-").isdigit():
                return int(value)
            if not value.startswith("@"):
                raise ValueError("PUBLIC_CHANNEL_ID is a chat id (-100…) or an @username")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone, so a typo fails at start-up
        return value

    @field_validator("default_language")
    @classmethod
    def _supported_language(cls, value: str) -> str:
        normalized = value.replace("-", "_")
        if normalized not in {"zh_CN", "en"}:
            raise ValueError("DEFAULT_LANGUAGE must be zh_CN or en")
        return normalized

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
