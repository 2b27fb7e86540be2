"""WeChat's server API over aiohttp: access_token upkeep, customer-service and template sends.

The access_token lives 7,200 s and a new one invalidates the old after a grace period, so
it is kept in a `TokenStore` every replica shares and refreshed some minutes early; a call
refused with 40001/42001/40014 (the token is bad or expired) refreshes it and retries once.
Every other refusal is a `WeChatApiError` with WeChat's errcode for the caller to classify.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiohttp

DEFAULT_API_URL = "https://api.weixin.qq.com"
TOKEN_ERRORS = frozenset({40001, 42001, 40014})
# 45009: the API's daily quota; 45047: too many customer-service messages to one user.
RATE_ERRORS = frozenset({45009, 45047})
# 45015: the follower last interacted more than 48 hours ago (customer-service window).
WINDOW_ERROR = 45015
REFRESH_MARGIN = timedelta(minutes=5)


class WeChatApiError(Exception):
    """WeChat refused a call: `errcode` is WeChat's number, `errmsg` its words."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class MediaTooLarge(Exception):
    """A follower's upload is larger than the caller accepts."""


@dataclass(frozen=True)
class AccessToken:
    access_token: str
    expires_at: datetime


@dataclass(frozen=True)
class QrCode:
    """A parametric QR code: `url` is what the printed code encodes, `ticket` shows it."""

    ticket: str
    url: str


class TokenStore(Protocol):
    """Where the access_token is shared between replicas (a database row in production)."""

    async def load(self, app_id: str) -> AccessToken | None: ...

    async def save(self, app_id: str, token: AccessToken) -> None: ...


class MemoryTokenStore:
    """A token store for one process (tests, tools)."""

    def __init__(self) -> None:
        self.tokens: dict[str, AccessToken] = {}

    async def load(self, app_id: str) -> AccessToken | None:
        return self.tokens.get(app_id)

    async def save(self, app_id: str, token: AccessToken) -> None:
        self.tokens[app_id] = token


class WeChatApi:
    """One Official Account's API client."""

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        store: TokenStore,
        now: Callable[[], datetime],
        base_url: str = DEFAULT_API_URL,
        timeout: float = 30.0,
    ) -> None:
        self.app_id = app_id
        self._secret = app_secret
        self._store = store
        self._now = now
        self._base = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._refreshing = asyncio.Lock()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def access_token(self, *, refresh: bool = False, stale: str | None = None) -> str:
        """Return a valid token, fetching a new one when it is near expiry or was refused."""
        token = await self._store.load(self.app_id)
        if not refresh and token is not None and token.expires_at - REFRESH_MARGIN > self._now():
            return token.access_token
        async with self._refreshing:
            # Another task (or replica) may have refreshed while this one waited.
            token = await self._store.load(self.app_id)
            usable = token is not None and token.expires_at - REFRESH_MARGIN > self._now()
            if token is not None and usable and token.access_token != stale:
                return token.access_token
            answer = await self._get(
                "/cgi-bin/token",
                {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret},
            )
            fresh = AccessToken(
                str(answer["access_token"]),
                self._now() + timedelta(seconds=int(answer.get("expires_in", 7200))),
            )
            await self._store.save(self.app_id, fresh)
            return fresh.access_token

    async def call(
        self,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        upload: tuple[str, bytes, str] | None = None,
    ) -> dict[str, Any]:
        """POST to an API path with the access_token; on a token error refresh and retry once."""
        token = await self.access_token()
        try:
            return await self._post(path, token, json=json, params=params, upload=upload)
        except WeChatApiError as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
        token = await self.access_token(refresh=True, stale=token)
        return await self._post(path, token, json=json, params=params, upload=upload)

    async def send_text(self, open_id: str, content: str) -> None:
        """Send a customer-service text (only within 48 h of the follower's last message)."""
        await self.call(
            "/cgi-bin/message/custom/send",
            json={"touser": open_id, "msgtype": "text", "text": {"content": content}},
        )

    async def send_image(self, open_id: str, media_id: str) -> None:
        """Send an uploaded image as a customer-service message."""
        await self.call(
            "/cgi-bin/message/custom/send",
            json={"touser": open_id, "msgtype": "image", "image": {"media_id": media_id}},
        )

    async def upload_media(self, data: bytes, *, filename: str, kind: str = "image") -> str:
        """Upload temporary media (kept 3 days by WeChat) and return its media_id."""
        answer = await self.call(
            "/cgi-bin/media/upload", params={"type": kind}, upload=("media", data, filename)
        )
        return str(answer["media_id"])

    async def download_media(self, media_id: str, *, max_bytes: int) -> bytes:
        """Fetch a follower's upload (an image push's MediaId); refuse more than `max_bytes`.

        WeChat answers the file itself, or errcode JSON when the id or the token is bad.
        """
        token = await self.access_token()
        try:
            return await self._get_media(media_id, token, max_bytes)
        except WeChatApiError as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
        token = await self.access_token(refresh=True, stale=token)
        return await self._get_media(media_id, token, max_bytes)

    async def _get_media(self, media_id: str, token: str, max_bytes: int) -> bytes:
        params = {"access_token": token, "media_id": media_id}
        async with self._http().get(self._base + "/cgi-bin/media/get", params=params) as answer:
            if answer.content_type in ("application/json", "text/plain"):
                _checked(await answer.json(content_type=None))
                raise WeChatApiError(-1, "a JSON answer instead of the media")
            if answer.content_length is not None and answer.content_length > max_bytes:
                raise MediaTooLarge(answer.content_length)
            data = await answer.content.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise MediaTooLarge(len(data))
            return data

    async def send_template(
        self,
        open_id: str,
        template_id: str,
        data: Mapping[str, str],
        *,
        url: str | None = None,
    ) -> int:
        """Send a template message (allowed outside the 48-hour window) and return its msgid."""
        body: dict[str, Any] = {
            "touser": open_id,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
        }
        if url:
            body["url"] = url
        answer = await self.call("/cgi-bin/message/template/send", json=body)
        return int(answer.get("msgid", 0))

    async def create_qrcode(self, scene: str, *, expire_seconds: int | None = None) -> QrCode:
        """Create a parametric QR code for a scene string (permanent without an expiry)."""
        body: dict[str, Any] = {"action_info": {"scene": {"scene_str": scene}}}
        if expire_seconds is None:
            body["action_name"] = "QR_LIMIT_STR_SCENE"
        else:
            body.update(action_name="QR_STR_SCENE", expire_seconds=expire_seconds)
        answer = await self.call("/cgi-bin/qrcode/create", json=body)
        return QrCode(ticket=str(answer["ticket"]), url=str(answer["url"]))

    async def create_menu(self, menu: Mapping[str, Any]) -> None:
        """Replace the account's custom menu."""
        await self.call("/cgi-bin/menu/create", json=menu)

    async def _get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        async with self._http().get(self._base + path, params=dict(params)) as response:
            return _checked(await response.json(content_type=None))

    async def _post(
        self,
        path: str,
        token: str,
        *,
        json: Mapping[str, Any] | None,
        params: Mapping[str, str] | None,
        upload: tuple[str, bytes, str] | None,
    ) -> dict[str, Any]:
        query = {**(params or {}), "access_token": token}
        if upload is not None:
            field, data, filename = upload
            form = aiohttp.FormData()
            form.add_field(field, data, filename=filename)
            request = self._http().post(self._base + path, params=query, data=form)
        else:
            request = self._http().post(self._base + path, params=query, json=dict(json or {}))
        async with request as response:
            return _checked(await response.json(content_type=None))


def _checked(answer: object) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise WeChatApiError(-1, "not a JSON object")
    code = int(answer.get("errcode", 0) or 0)
    if code:
        raise WeChatApiError(code, str(answer.get("errmsg", "")))
    return answer
