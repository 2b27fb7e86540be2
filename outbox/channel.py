"""The channel adapter: what the outbox dispatcher needs from a messaging channel.

The dispatcher owns order, claiming, retries and dead letters, all channel-neutral; an
adapter owns the wire: turning a row's request into the channel's API call, saying what
a failed call means for its row, and how long the channel's rate limits hold a chat.
Telegram (`outbox.telegram`) is the first adapter, WeChat's customer-service API
(`outbox.wechat`) the second: each dispatcher sends the rows of its adapter's channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

MEDIA_PREFIX = "media:"


class FailureKind(StrEnum):
    FLOOD = "flood"  # 429: wait retry_after
    TRANSIENT = "transient"  # 5xx, network, timeout: back off, count an attempt
    BLOCKED = "blocked"  # 403: the user blocked the bot (or it left the group)
    NOT_MODIFIED = "not_modified"  # an edit that changes nothing: already as wanted
    MIGRATED = "migrated"  # the group became a supergroup: resend there
    UNAUTHORIZED = "unauthorized"  # 401: our token, not this row, is wrong
    PERMANENT = "permanent"  # any other refusal: sending again cannot help
    # The channel lets us write only after the person writes (WeChat's 48-hour window):
    # kept, costing no attempt, until they do (or `retry_after` passes).
    WINDOW = "window"


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    reason: str
    retry_after: float = 0.0
    migrate_to: int | None = None


class PayloadError(Exception):
    """A row that cannot become a Bot API call (unknown method, missing media)."""


class ChannelAdapter(Protocol):
    """One channel's wire, as the outbox dispatcher drives it."""

    # The `channel` of the outbox rows this adapter sends.
    name: str

    def media_refs(self, payload: Mapping[str, Any]) -> set[str]:
        """Return the sha256 of every stored file the request uploads."""
        ...

    async def deliver(
        self, chat_id: int, method: str, payload: Mapping[str, Any], files: Mapping[str, bytes]
    ) -> list[int]:
        """Make the call and return the ids of the messages it created or edited."""
        ...

    def classify(self, error: BaseException) -> Failure:
        """Say what a failed call means for its row."""
        ...

    def rate_wait(self, chat_id: int, method: str, payload: Mapping[str, Any]) -> float:
        """Return the seconds the channel's limits hold this chat's next request."""
        ...
