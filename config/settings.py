"""Runtime configuration read from the environment and `.env`.

One `Settings` object is built in the composition root and injected; nothing reads the
environment anywhere else. Every key is documented in `.env.example`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API_URL = "https://api.telegram.org"
WEBHOOK_SECRET_MIN_LENGTH = 32
# Telegram accepts 1-256 of these in a secret_token.
_WEBHOOK_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAKE_SECRET_HINT = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
WECHAT_API_URL = "https://api.weixin.qq.com"
# WeChat takes a Token of 3-32 letters and digits; we require the longest, random one.
WECHAT_TOKEN_LENGTH = 32
_WECHAT_TOKEN_CHARS = re.compile(r"[A-Za-z0-9]{32}")
_WECHAT_AES_KEY_CHARS = re.compile(r"[A-Za-z0-9+/]{43}")
MAKE_WECHAT_TOKEN_HINT = (
    'python -c "import secrets, string; a = string.ascii_letters + string.digits; '
    "print(''.join(secrets.choice(a) for _ in range(32)))\""
)


def _trimmed(value: object, *, trailing: str = "") -> object:
    """A string from the environment without surrounding blanks (and `trailing` characters),
    None if nothing is left: `X=` as in .env.example means unset. Other values pass as they are.
    """
    if isinstance(value, str):
        return value.strip().rstrip(trailing) or None
    return value


class Settings(BaseSettings):
    """All of snapreport's configuration; defaults give a working embedded deployment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    database_url: str = "sqlite+aiosqlite:///var/snapreport.sqlite3"
    redis_url: str | None = None
    media_dir: Path = Path("var/media")
    # Unset: photos live under MEDIA_DIR on this machine. `s3://bucket/prefix`: in a bucket
    # every replica shares (any S3-compatible server; S3_ENDPOINT_URL for non-AWS ones).
    media_url: str | None = None
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_region: str | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_language: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    holidays_file: Path | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8080
    # The web console's public base URL (e.g. https://bot.example.gov.cn): `/console` in a
    # staff member's private chat sends a one-time link under it. Empty = no console.
    console_url: str | None = None
    console_session_hours: int = Field(default=12, ge=1, le=24 * 7)
    # /healthz, /readyz and /metrics: on the webhook server in webhook mode; on their own
    # server when METRICS_PORT is set (needed for them at all when polling).
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    log_level: str = "INFO"
    log_json: bool = False
    # Keys the user hashes in logs; unset, a random per-process key is used.
    log_hash_key: SecretStr | None = None
    # Encrypts who reporters are at rest (storage.identity); base64 of 32 bytes. Required
    # by `run`; `snapreport keys init` writes one. IDENTITY_KEY_OLD: the previous key,
    # only read while `snapreport keys rotate` re-encrypts (and by migrations).
    identity_key: SecretStr | None = None
    identity_key_old: SecretStr | None = None

    # Retention: how long what identifies people or holds their words is kept.
    # Abandoned report drafts (and their photos no ticket uses).
    draft_ttl_hours: int = Field(default=24, ge=1)
    # A handled update's raw content is deleted at once; its id is kept this long so a
    # redelivery is recognised (Telegram redelivers within a day), as is a set-aside update.
    inbox_retention_hours: int = Field(default=24, ge=1)
    # Outbox rows that could not be delivered (`/dead` lists them), and those sent.
    dead_outbox_retention_days: int = Field(default=30, ge=1)
    sent_outbox_retention_days: int = Field(default=30, ge=1)
    # Closed tickets keep evidence, the reporter's identity and relayed words this long
    # after closing; then only the figures statistics count remain.
    closed_ticket_retention_days: int = Field(default=365, ge=1)
    # Praises keep their words, photos and sender this long; then only unit and date remain.
    praise_retention_days: int = Field(default=365, ge=1)
    reports_per_hour: int = Field(default=5, ge=1)
    # What a reporter may send into one ticket per rolling hour: answers to the
    # department's questions (relayed at once) and supplements (补充材料).
    relay_per_ticket_per_hour: int = Field(default=10, ge=1)
    supplements_per_ticket_per_hour: int = Field(default=10, ge=1)
    survey_days: int = Field(default=7, ge=1)
    # Escalation of a red card (督办): it climbs this many supervising offices above the
    # handling department, one step every ESCALATION_STEP_HOURS, before reaching the
    # administrators (0: straight to the administrators).
    escalation_office_levels: int = Field(default=1, ge=0, le=10)
    escalation_step_hours: int = Field(default=24, ge=1)
    tasks_concurrency_limit: int = Field(default=100, ge=1)
    album_settle_seconds: float = Field(default=1.0, gt=0, le=30)
    # Photos are decoded in PHOTO_WORKERS workers (default: one per core) at a lower CPU
    # priority; "thread" (measured faster for Telegram's 1280-pixel photos) or "process"
    # (keeps the Python parts off the event loop's GIL; worth it for large files).
    photo_workers: int | None = Field(default=None, ge=1)
    photo_pool: Literal["process", "thread"] = "thread"
    poll_timeout: int = Field(default=25, ge=0, le=50)
    auto_migrate: bool = True
    # A write transaction held longer than this is logged (it blocks every other writer).
    slow_write_seconds: float = Field(default=1.0, ge=0)
    # The weekly and daily digests run on the wall clock (cron in TIMEZONE); tests that
    # move a ManualClock switch them off so the real time of day cannot change what they see.
    digests_enabled: bool = True

    rate_global_per_second: float = Field(default=30.0, gt=0)
    rate_private_per_second: float = Field(default=1.0, gt=0)
    rate_group_per_minute: float = Field(default=20.0, gt=0)

    # WeChat Official Account (微信公众号): set WECHAT_APP_ID to serve /wechat.
    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_token: SecretStr | None = None
    # EncodingAESKey (43 characters) for safe/compatible mode; unset = plain mode only.
    wechat_aes_key: SecretStr | None = None
    wechat_api_url: str = WECHAT_API_URL
    # Template message ids by purpose: `survey=AbC…,deadline=XyZ…`.
    wechat_template_ids: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)

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

    @field_validator("wechat_aes_key", mode="before")
    @classmethod
    def _aes_key(cls, value: object) -> object:
        """An EncodingAESKey is 43 base64 characters; a typo must fail at start-up."""
        value = _trimmed(value)
        if isinstance(value, str) and not _WECHAT_AES_KEY_CHARS.fullmatch(value):
            raise ValueError("WECHAT_AES_KEY is the 43-character EncodingAESKey (A-Z a-z 0-9 + /)")
        return value

    @field_validator("wechat_template_ids", mode="before")
    @classmethod
    def _template_ids(cls, value: object) -> object:
        """Accept `name=id,name=id` (the natural way to write a mapping in `.env`)."""
        if isinstance(value, str):
            pairs = [part.split("=", 1) for part in value.replace(" ", "").split(",") if part]
            if any(len(pair) != 2 or not all(pair) for pair in pairs):
                raise ValueError("WECHAT_TEMPLATE_IDS is name=template_id,name=template_id")
            return dict(pairs)
        return value

    @field_validator("media_url", mode="before")
    @classmethod
    def _media_url(cls, value: object) -> object:
        """Empty means MEDIA_DIR; anything else must name a bucket, so a typo fails at start."""
        value = _trimmed(value)
        if isinstance(value, str):
            split = urlsplit(value)
            if split.scheme != "s3" or not split.netloc or split.query or split.fragment:
                raise ValueError("MEDIA_URL is s3://bucket or s3://bucket/prefix (or empty)")
        return value

    @field_validator(
        "wechat_app_id",
        "holidays_file",
        "s3_endpoint_url",
        "s3_access_key_id",
        "s3_secret_access_key",
        "s3_region",
        "metrics_port",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`S3_REGION=` (empty, as in .env.example) means unset: the client's default.

        So `WECHAT_APP_ID=` means no WeChat channel, `HOLIDAYS_FILE=` the packaged calendar
        alone.
        """
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("console_url", mode="before")
    @classmethod
    def _console_url(cls, value: object) -> object:
        """Empty means no console; else an http(s) base URL, kept without its trailing slash."""
        value = _trimmed(value, trailing="/")
        if isinstance(value, str) and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("CONSOLE_URL is an http:// or https:// base URL (or empty)")
        return value

    @field_validator("public_channel_id", mode="before")
    @classmethod
    def _channel_id(cls, value: object) -> object:
        """`-100123` (from the environment, a string) is a chat id; `@name` stays a name."""
        value = _trimmed(value)
        if isinstance(value, str):
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
    def media_bucket(self) -> tuple[str, str] | None:
        """(bucket, key prefix without slashes) when MEDIA_URL names a bucket, else None."""
        if self.media_url is None:
            return None
        split = urlsplit(self.media_url)
        return split.netloc, split.path.strip("/")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def secret_values(self) -> list[str]:
        """Every secret the logs must never show, to redact them verbatim."""
        values = [
            secret.get_secret_value()
            for secret in (
                self.bot_token,
                self.webhook_secret,
                self.log_hash_key,
                self.wechat_app_secret,
                self.wechat_token,
                self.wechat_aes_key,
                self.s3_secret_access_key,
                self.identity_key,
                self.identity_key_old,
            )
            if secret is not None
        ]
        password = urlsplit(self.database_url).password
        if password:
            values.append(password)
        return [value for value in values if value]


def webhook_secret_problem(settings: Settings) -> str | None:
    """Why webhook mode must not start with these settings, or None (also None when polling).

    Without a secret anyone who finds the URL can POST updates as any user, an
    administrator's id included, and be answered with real names.
    """
    if not settings.webhook_url:
        return None
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    make = f"Make one with: {MAKE_SECRET_HINT}"
    if not secret:
        return f"WEBHOOK_SECRET is not set, and webhook mode (WEBHOOK_URL) requires it. {make}"
    if len(secret) < WEBHOOK_SECRET_MIN_LENGTH:
        return (
            f"WEBHOOK_SECRET is {len(secret)} characters; webhook mode requires at least "
            f"{WEBHOOK_SECRET_MIN_LENGTH} random characters. {make}"
        )
    if not _WEBHOOK_SECRET_CHARS.fullmatch(secret):
        return (
            "WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - (at most 256): "
            f"Telegram refuses anything else. {make}"
        )
    if len(set(secret)) < WEBHOOK_SECRET_MIN_LENGTH // 4:
        return f"WEBHOOK_SECRET repeats a few characters: it does not look random. {make}"
    return None


def wechat_problem(settings: Settings) -> str | None:
    """Why the WeChat channel must not start with these settings, or None (also when off).

    The Token is the only thing that tells WeChat's pushes from anyone's: a short one is
    guessable, and then anyone could post messages as any follower.
    """
    if not settings.wechat_app_id:
        return None
    if settings.wechat_app_secret is None or not settings.wechat_app_secret.get_secret_value():
        return "WECHAT_APP_SECRET is not set, and the WeChat channel (WECHAT_APP_ID) needs it."
    token = settings.wechat_token.get_secret_value() if settings.wechat_token else ""
    make = f"Make one with: {MAKE_WECHAT_TOKEN_HINT}"
    if not token:
        return f"WECHAT_TOKEN is not set, and the WeChat channel (WECHAT_APP_ID) needs it. {make}"
    if not _WECHAT_TOKEN_CHARS.fullmatch(token):
        return (
            f"WECHAT_TOKEN must be {WECHAT_TOKEN_LENGTH} random letters and digits (WeChat "
            f"accepts at most 32, only A-Z a-z 0-9); it is {len(token)} characters. {make}"
        )
    if len(set(token)) < WECHAT_TOKEN_LENGTH // 4:
        return f"WECHAT_TOKEN repeats a few characters: it does not look random. {make}"
    return None
