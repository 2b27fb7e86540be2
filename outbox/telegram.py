"""Telegram as an outbox channel: rows to Bot API calls, Bot API errors to failures.

A row holds a Bot API method name and its parameters; "media:<sha256>" in a file
parameter becomes an upload from the media store. Pacing is the Bot's own request
middleware (`outbox.pacing`): this adapter never takes rate tokens itself, it only reads
the limiter's `wait_time` so the dispatcher can put a chat aside instead of parking a
worker on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram import Bot
from aiogram import methods as bot_methods
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import BufferedInputFile, Message
from pydantic import ValidationError

from outbox.channel import MEDIA_PREFIX, Failure, FailureKind, PayloadError
from outbox.pacing import send_cost
from outbox.ratelimit import RateLimiter

# Parameters of send methods that name one file (a file_id, or "media:<sha256>" to upload).
FILE_PARAMS = ("photo", "document", "video", "animation", "audio", "voice", "sticker")
CHANNEL = "telegram"


def classify(error: BaseException) -> Failure:
    """Say what a failed call means for its row."""
    reason = f"{type(error).__name__}: {getattr(error, 'message', error)}"
    if isinstance(error, TelegramRetryAfter):
        return Failure(FailureKind.FLOOD, f"flood wait {error.retry_after}s", error.retry_after)
    if isinstance(error, TelegramMigrateToChat):
        return Failure(FailureKind.MIGRATED, reason, migrate_to=error.migrate_to_chat_id)
    if isinstance(error, TelegramForbiddenError):
        return Failure(FailureKind.BLOCKED, reason)
    if isinstance(error, TelegramBadRequest):
        if "message is not modified" in error.message.lower():
            return Failure(FailureKind.NOT_MODIFIED, reason)
        if "message to delete not found" in error.message.lower():
            # Deleted already (by its reader, or a deletion sent twice): as wanted.
            return Failure(FailureKind.NOT_MODIFIED, reason)
        return Failure(FailureKind.PERMANENT, reason)
    if isinstance(error, TelegramEntityTooLarge):  # a TelegramNetworkError, but not transient
        return Failure(FailureKind.PERMANENT, reason)
    if isinstance(error, TelegramServerError | TelegramNetworkError | ClientDecodeError):
        return Failure(FailureKind.TRANSIENT, reason)
    if isinstance(error, TelegramUnauthorizedError):
        return Failure(FailureKind.UNAUTHORIZED, reason)
    if isinstance(error, TelegramAPIError | ValidationError | PayloadError):
        return Failure(FailureKind.PERMANENT, reason)
    # Anything else is our own glitch (a database hiccup, a bug): retry, and die in the end.
    return Failure(FailureKind.TRANSIENT, reason)


_METHODS: dict[str, type[TelegramMethod[Any]]] = {}


def method_class(name: str) -> type[TelegramMethod[Any]]:
    """Find aiogram's class for a Bot API method name ("sendMessage")."""
    if not _METHODS:
        for export in bot_methods.__all__:
            candidate = getattr(bot_methods, export)
            api_name = getattr(candidate, "__api_method__", None)
            if isinstance(api_name, str):
                _METHODS[api_name.lower()] = candidate
    found = _METHODS.get(name.lower())
    if found is None:
        raise PayloadError(f"unknown Bot API method {name!r}")
    return found


def media_refs(payload: dict[str, Any]) -> set[str]:
    """The sha256 of every "media:<sha256>" file a payload asks to upload."""
    values = [payload.get(name) for name in FILE_PARAMS]
    values += [item.get("media") for item in payload.get("media") or [] if isinstance(item, dict)]
    return {
        value.removeprefix(MEDIA_PREFIX)
        for value in values
        if isinstance(value, str) and value.startswith(MEDIA_PREFIX)
    }


def build_method(
    name: str, payload: dict[str, Any], files: dict[str, bytes] | None = None
) -> TelegramMethod[Any]:
    """Turn a row into an aiogram method; "media:<sha>" becomes an upload of `files[sha]`."""
    params = dict(payload)

    def resolve(value: Any) -> Any:
        if files is None or not (isinstance(value, str) and value.startswith(MEDIA_PREFIX)):
            return value
        sha = value.removeprefix(MEDIA_PREFIX)
        return BufferedInputFile(files[sha], filename=f"{sha[:16]}.jpg")

    for param in FILE_PARAMS:
        if param in params:
            params[param] = resolve(params[param])
    if isinstance(params.get("media"), list):
        params["media"] = [
            {**item, "media": resolve(item.get("media"))} if isinstance(item, dict) else item
            for item in params["media"]
        ]
    return method_class(name).model_validate(params)


def message_ids(result: object) -> list[int]:
    """The ids of the messages a call created or edited."""
    if isinstance(result, Message):
        return [result.message_id]
    if isinstance(result, list):
        return [item.message_id for item in result if isinstance(item, Message)]
    return []


class TelegramChannel:
    """The Bot API through one aiogram `Bot`."""

    name = CHANNEL

    def __init__(
        self, bot: Bot, *, limiter: RateLimiter | None = None, request_timeout: int = 60
    ) -> None:
        self._bot = bot
        self._limiter = limiter
        self._request_timeout = request_timeout

    def media_refs(self, payload: Mapping[str, Any]) -> set[str]:
        return media_refs(dict(payload))

    async def deliver(
        self, chat_id: int, method: str, payload: Mapping[str, Any], files: Mapping[str, bytes]
    ) -> list[int]:
        call = build_method(method, dict(payload), dict(files))
        return message_ids(await self._bot(call, request_timeout=self._request_timeout))

    def classify(self, error: BaseException) -> Failure:
        return classify(error)

    def rate_wait(self, chat_id: int, method: str, payload: Mapping[str, Any]) -> float:
        if self._limiter is None:
            return 0.0
        try:
            cost = send_cost(build_method(method, dict(payload)))
        except (PayloadError, ValidationError):
            return 0.0  # delivering records why it cannot be sent
        return float(self._limiter.wait_time(chat_id, cost)) if cost else 0.0
