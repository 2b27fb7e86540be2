"""WeChat as an outbox channel: rows to customer-service and template calls, errcodes to failures.

Rows address a chat by an integer and WeChat addresses a follower by a string OpenID: the
OpenID travels in the (encrypted) payload as `touser`, and `chat_id` is `chat_key(openid)`,
a stable 63-bit number used only to order and pace one follower's rows. Rows are
`channel = "wechat"`, sent by the WeChat service's own dispatcher.

Customer-service messages may go out only within 48 hours of the follower's last message
(45015): such a row waits (`FailureKind.WINDOW`, no attempt counted) and the follower's next
push makes it due again (`outbox.dispatcher.release_waiting`). Quota errors are paced like
Telegram's 429: the row is due again later, with no attempt counted.

Methods: `text` {touser, content, template?} (the template goes instead when the window
has closed), `image` {touser, image: "media:<sha256>" or a media_id},
`template` {touser, template_id, data, url?}.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import aiohttp

from outbox.channel import MEDIA_PREFIX, Failure, FailureKind, PayloadError
from wechat.api import RATE_ERRORS, TOKEN_ERRORS, WINDOW_ERROR, WeChatApi, WeChatApiError

# Quota errors clear at the next day (45009) or within minutes (45047): look again later.
RATE_RETRY_SECONDS = 600.0
# Outside the 48-hour window the follower's next message reopens it (and releases the
# row); the daily look only covers a push that was missed.
WINDOW_RETRY_SECONDS = 86400.0
CHANNEL = "wechat"
_UNKNOWN_USER = frozenset({40003, 43004})  # invalid OpenID; the follower unfollowed


def chat_key(open_id: str) -> int:
    """Return a stable positive 63-bit number for an OpenID (rows and lanes key on ints)."""
    return int.from_bytes(hashlib.sha256(open_id.encode()).digest()[:8], "big") >> 1


def classify(error: BaseException) -> Failure:
    """Say what a failed WeChat call means for its row."""
    reason = f"{type(error).__name__}: {error}"
    if isinstance(error, WeChatApiError):
        if error.errcode in RATE_ERRORS:
            return Failure(FailureKind.FLOOD, reason, RATE_RETRY_SECONDS)
        if error.errcode == WINDOW_ERROR:
            # Kept pending, not dead: the follower's next message reopens the window.
            return Failure(FailureKind.WINDOW, reason, WINDOW_RETRY_SECONDS)
        if error.errcode in _UNKNOWN_USER:
            return Failure(FailureKind.BLOCKED, reason)
        if error.errcode in TOKEN_ERRORS or error.errcode in {40013, 40125, 40164}:
            return Failure(FailureKind.UNAUTHORIZED, reason)  # AppID, secret or IP whitelist
        if error.errcode == -1:  # WeChat's "system busy"
            return Failure(FailureKind.TRANSIENT, reason)
        return Failure(FailureKind.PERMANENT, reason)
    if isinstance(error, PayloadError):
        return Failure(FailureKind.PERMANENT, reason)
    if isinstance(error, aiohttp.ClientError | TimeoutError):
        return Failure(FailureKind.TRANSIENT, reason)
    return Failure(FailureKind.TRANSIENT, reason)


class WeChatChannel:
    """Customer-service and template messages through one `WeChatApi`."""

    name = CHANNEL

    def __init__(self, api: WeChatApi) -> None:
        self._api = api

    def media_refs(self, payload: Mapping[str, Any]) -> set[str]:
        image = payload.get("image")
        if isinstance(image, str) and image.startswith(MEDIA_PREFIX):
            return {image.removeprefix(MEDIA_PREFIX)}
        return set()

    async def deliver(
        self, chat_id: int, method: str, payload: Mapping[str, Any], files: Mapping[str, bytes]
    ) -> list[int]:
        open_id = payload.get("touser")
        if not isinstance(open_id, str) or chat_key(open_id) != chat_id:
            raise PayloadError("a WeChat row needs the follower's OpenID in `touser`")
        if method == "text":
            try:
                await self._api.send_text(open_id, str(payload["content"]))
            except WeChatApiError as error:
                template = payload.get("template")
                if error.errcode != WINDOW_ERROR or not isinstance(template, Mapping):
                    raise
                # The window is closed and the row names a template: that goes instead.
                return await self._template(open_id, template)
            return []
        if method == "image":
            image = str(payload["image"])
            if image.startswith(MEDIA_PREFIX):
                sha = image.removeprefix(MEDIA_PREFIX)
                image = await self._api.upload_media(files[sha], filename=f"{sha[:16]}.jpg")
            await self._api.send_image(open_id, image)
            return []
        if method == "template":
            return await self._template(open_id, payload)
        raise PayloadError(f"unknown WeChat method {method!r}")

    async def _template(self, open_id: str, template: Mapping[str, Any]) -> list[int]:
        msgid = await self._api.send_template(
            open_id,
            str(template["template_id"]),
            {str(k): str(v) for k, v in dict(template.get("data") or {}).items()},
            url=template.get("url"),
        )
        return [msgid] if msgid else []

    def classify(self, error: BaseException) -> Failure:
        return classify(error)

    def rate_wait(self, chat_id: int, method: str, payload: Mapping[str, Any]) -> float:
        # WeChat publishes daily quotas, not per-second limits: nothing to pace here yet.
        return 0.0
