"""structlog set-up: key=value lines for people, JSON lines for log shippers.

Reporters fear retaliation, so a log line must never identify anyone or leak a secret:
tracebacks are rendered without local variables (a `Message` in scope would print a
user's id, name and text), the bot token and anything shaped like one is redacted from
every line and every exception text (Bot API URLs carry it: `…/bot<TOKEN>/…`), records
of stdlib loggers (aiohttp, aiogram) go through the same chain, and users are named by a
keyed hash (HMAC-SHA256 with `LOG_HASH_KEY`) that nobody without the key can reverse by
trying every Telegram id.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import sys
import traceback
from collections.abc import Iterable
from typing import Any

import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

log = structlog.get_logger(__name__)

REDACTED = "<redacted>"
# `bot<id>:<secret>` in Bot API and file URLs, and a bare token anywhere (`%3A` when quoted).
_TOKEN_PATTERNS = (
    re.compile(r"(bot\d+)(?::|%3A)[A-Za-z0-9_-]+"),
    re.compile(r"\b\d{5,}(?::|%3A)[A-Za-z0-9_-]{20,}"),
)
# Shorter "secrets" would blank ordinary words out of every line.
_MIN_SECRET_LENGTH = 6
_HASH_CHARS = 16  # fits SecurityEvent.actor_hash


class _Keys:
    """Process-wide logging secrets: logging itself is process-wide (structlog.configure)."""

    hash_key: bytes | None = None
    random_key: bytes | None = None
    secrets: tuple[str, ...] = ()


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """`text` without the configured secrets, `extra`, or anything shaped like a bot token."""
    for secret in (*_Keys.secrets, *_usable(extra)):
        text = text.replace(secret, REDACTED)
    text = _TOKEN_PATTERNS[0].sub(rf"\1:{REDACTED}", text)
    return _TOKEN_PATTERNS[1].sub(REDACTED, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    # Renderers fall back to repr(): an exception or a URL object may carry the token.
    text = repr(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned


def redact_secrets(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """Processor, last before rendering: redact every value, formatted exceptions included."""
    return {key: _redact_value(value) for key, value in event_dict.items()}


def _usable(secrets: Iterable[str]) -> tuple[str, ...]:
    """Long enough to redact safely, longest first (one secret may contain another)."""
    return tuple(
        sorted({s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True)
    )


def plain_traceback_text(error: BaseException, secrets: Iterable[str] = ()) -> str:
    """A traceback without local variables, with secrets redacted (for a crashing command)."""
    return redact("".join(traceback.format_exception(error)), secrets)


def keyed_user_hash(user_id: int, key: bytes) -> str:
    """A pseudonym for `user_id` that only the holder of `key` can recompute."""
    digest = hmac.new(key, f"telegram-user:{user_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:_HASH_CHARS]


def user_hash(user_id: int) -> str:
    """A short stable pseudonym for logs: raw Telegram ids never reach a log line."""
    return keyed_user_hash(user_id, _hash_key())


def _hash_key() -> bytes:
    if _Keys.hash_key is not None:
        return _Keys.hash_key
    if _Keys.random_key is None:
        # Unkeyed, a hash of a ~10-digit id is reversed by trying every id: never fall
        # back to that. A random key keeps hashes stable only until the process exits.
        _Keys.random_key = secrets.token_bytes(32)
        log.warning(
            "log_hash_key_unset",
            hint="set LOG_HASH_KEY (run `snapreport keys init`); until then user hashes "
            "in logs change at every restart",
        )
    return _Keys.random_key


def _exception_processors(json: bool) -> list[Processor]:
    if json:
        return [
            structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False))
        ]
    # Formatted to text here (no locals), so redaction sees it before the renderer.
    return [structlog.processors.format_exc_info]


class _CurrentStderr:
    """Whatever `sys.stderr` is now: test runners swap it, and a stream kept from
    configuration time may be closed by the time something logs."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class _SnapreportHandler(logging.StreamHandler[_CurrentStderr]):
    """The root handler this module installs; found again (and replaced) on reconfiguration."""


def configure_logging(
    level: str = "INFO",
    *,
    json: bool = False,
    hash_key: str | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Configure structlog and the stdlib root logger to render through one safe chain.

    `hash_key` keys the user hashes (unset: a random per-process key, with a warning at
    first use); `secrets` are redacted verbatim from every line, on top of token patterns.
    """
    _Keys.hash_key = hash_key.encode() if hash_key else None
    _Keys.secrets = _usable(secrets)
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if json
        # plain_traceback: the default (rich, when installed) prints local variables.
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    final: list[Processor] = [
        structlog.processors.StackInfoRenderer(),
        *_exception_processors(json),
        redact_secrets,
        renderer,
    ]
    numeric_level = logging.getLevelName(level.upper())
    # stderr: stdout belongs to commands' own output (benchmark JSON, the demo transcript).
    structlog.configure(
        processors=[*shared, *final],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    # aiohttp's and aiogram's own records (with their exc_info) take the same road.
    handler = _SnapreportHandler(_CurrentStderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _SnapreportHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric_level)
