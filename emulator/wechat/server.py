"""The WeChat emulator's HTTP server: WeChat's API routes and a control API for tests.

API routes answer `{"errcode": …, "errmsg": …}` as WeChat does (HTTP 200 even on errors).
The control API (`/control/…`) makes followers send messages and events, moves the clock,
switches the encryption mode and reads what each follower received.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from wechat.crypto import MessageCipher
from wechat.signature import message_signature, url_signature
from wechat.xml import build_xml

Handler = Callable[[web.Request], Awaitable[web.Response]]

Mode = Literal["plain", "compatible", "safe"]
TOKEN_SECONDS = 7200
OLD_TOKEN_GRACE = 300  # a refreshed token keeps working five more minutes
WINDOW_SECONDS = 48 * 3600
ACCOUNT = "gh_snapreport0"


@dataclass
class Delivery:
    """One push and what the bot answered to each attempt."""

    xml: str
    attempts: list[str] = field(default_factory=list)  # HTTP status + body, or "timeout"

    @property
    def answered(self) -> bool:
        return any(a.startswith("200 ") for a in self.attempts)


@dataclass
class WeChatConfig:
    app_id: str = "wx5e1f0c2d3b4a6978"
    app_secret: str = "emulator-app-secret-0123456789abcdef"
    token: str = "Ab3dEf7hIj9kLm2nOp4qRs6tUv8wXy0z"
    aes_key: str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    mode: Mode = "plain"
    answer_timeout: float = 5.0  # WeChat waits 5 s for the bot's answer
    retries: int = 3
    start_time: int = 1_764_547_200  # 2025-12-01 00:00 UTC; moved only by the control API


class WeChatEmulator:
    """A local WeChat platform on a loopback port."""

    def __init__(self, config: WeChatConfig | None = None) -> None:
        self.config = config or WeChatConfig()
        self.now = self.config.start_time
        self.bot_url: str | None = None
        self.tokens: dict[str, int] = {}  # access_token -> expiry (emulator time)
        self.token_fetches = 0
        self.last_seen: dict[str, int] = {}  # OpenID -> time of their last push
        self.inbox: dict[str, list[dict[str, Any]]] = {}  # what each follower received
        self.transcript: list[str] = []
        self.media: dict[str, bytes] = {}
        self.qrcodes: dict[str, str] = {}  # ticket -> scene
        self.menu: dict[str, Any] | None = None
        self.deliveries: list[Delivery] = []
        self.faults: dict[str, list[int]] = {}  # API path -> errcodes to answer next
        self._ids = itertools.count(10_000_000_000)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        api = self._with_token
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", api(self._custom_send))
        app.router.add_post("/cgi-bin/message/template/send", api(self._template_send))
        app.router.add_post("/cgi-bin/media/upload", api(self._media_upload))
        app.router.add_get("/cgi-bin/media/get", api(self._media_get))
        app.router.add_post("/cgi-bin/qrcode/create", api(self._qrcode))
        app.router.add_post("/cgi-bin/menu/create", api(self._menu))
        app.router.add_post("/control/push", self._control_push)
        app.router.add_post("/control/redeliver", self._control_redeliver)
        app.router.add_post("/control/clock", self._control_clock)
        app.router.add_post("/control/setup", self._control_setup)
        app.router.add_get("/control/received", self._control_received)
        app.router.add_get("/control/transcript", self._control_transcript)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession()

    async def set_mode(self, mode: Mode) -> None:
        self.config.mode = mode

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # The push side: what WeChat does when a follower writes.

    def next_msg_id(self) -> int:
        return next(self._ids)

    async def push(self, open_id: str, fields: dict[str, Any]) -> Delivery:
        """Deliver a push from a follower to the bot, retrying as WeChat does."""
        body: dict[str, Any] = {
            "ToUserName": ACCOUNT,
            "FromUserName": open_id,
            "CreateTime": self.now,
            **fields,
        }
        self.last_seen[open_id] = self.now
        self.transcript.append(f"{open_id} → bot: {_summary(body)}")
        delivery = Delivery(build_xml(body))
        self.deliveries.append(delivery)
        await self.deliver(delivery, open_id)
        return delivery

    async def deliver(self, delivery: Delivery, open_id: str) -> None:
        for _ in range(1 + self.config.retries):
            outcome = await self._post(delivery.xml, open_id)
            delivery.attempts.append(outcome)
            if outcome.startswith("200 "):
                return

    async def _post(self, xml: str, open_id: str) -> str:
        assert self._http is not None and self.bot_url is not None, "setup the bot URL first"
        timestamp, nonce = str(self.now), secrets.token_hex(5)
        query = {
            "signature": url_signature(self.config.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": open_id,
        }
        body = xml
        if self.config.mode != "plain":
            cipher = MessageCipher(self.config.aes_key, self.config.app_id)
            encrypted = cipher.encrypt(xml.encode())
            query["encrypt_type"] = "aes"
            query["msg_signature"] = message_signature(
                self.config.token, timestamp, nonce, encrypted
            )
            envelope = build_xml({"ToUserName": ACCOUNT, "Encrypt": encrypted})
            # Compatible mode sends the plain fields beside the ciphertext.
            if self.config.mode == "compatible":
                body = xml.removesuffix("</xml>") + build_xml({"Encrypt": encrypted})[5:]
            else:
                body = envelope
        try:
            async with self._http.post(
                f"{self.bot_url}?{urlencode(query)}",
                data=body.encode(),
                timeout=aiohttp.ClientTimeout(total=self.config.answer_timeout),
            ) as response:
                return f"{response.status} {await response.text()}"
        except TimeoutError:
            return "timeout"
        except aiohttp.ClientError as error:
            return f"unreachable {type(error).__name__}"

    async def verify_url(self, *, echostr: str, token: str | None = None) -> tuple[int, str]:
        """Do WeChat's URL verification GET (with a wrong token to test refusal)."""
        assert self._http is not None and self.bot_url is not None
        timestamp, nonce = str(self.now), secrets.token_hex(5)
        signature = url_signature(token or self.config.token, timestamp, nonce)
        params = {"signature": signature, "timestamp": timestamp, "nonce": nonce}
        async with self._http.get(self.bot_url, params={**params, "echostr": echostr}) as answer:
            return answer.status, await answer.text()

    # The API side: what the bot calls.

    def add_media(self, data: bytes) -> str:
        """Keep a follower's upload as WeChat does for an image push; return its MediaId."""
        media_id = secrets.token_urlsafe(24)
        self.media[media_id] = data
        return media_id

    def fail_next(self, path: str, errcode: int, times: int = 1) -> None:
        """Make the next calls to an API path fail with `errcode` (quota, rate, busy)."""
        self.faults.setdefault(path, []).extend([errcode] * times)

    def _with_token(self, handler: Handler) -> Handler:
        """An API call: refused, as WeChat does, without a valid access token."""

        async def checked(request: web.Request) -> web.Response:
            if refused := self._check_token(request):
                return web.json_response(refused)
            return await handler(request)

        return checked

    def _check_token(self, request: web.Request) -> dict[str, Any] | None:
        if pending := self.faults.get(request.path):
            return _error(pending.pop(0), "injected by the emulator")
        token = request.query.get("access_token")
        if not token:
            return _error(41001, "access_token missing")
        expiry = self.tokens.get(token)
        if expiry is None:
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        if self.now >= expiry:
            return _error(42001, "access_token expired")
        return None

    async def _token(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("appid") != self.config.app_id:
            return web.json_response(_error(40013, "invalid appid"))
        if query.get("secret") != self.config.app_secret:
            return web.json_response(_error(40125, "invalid appsecret"))
        for old, expiry in self.tokens.items():
            self.tokens[old] = min(expiry, self.now + OLD_TOKEN_GRACE)
        token = secrets.token_urlsafe(48)
        self.tokens[token] = self.now + TOKEN_SECONDS
        self.token_fetches += 1
        return web.json_response({"access_token": token, "expires_in": TOKEN_SECONDS})

    async def _custom_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        open_id = body.get("touser", "")
        if open_id not in self.last_seen:
            return web.json_response(_error(40003, "invalid openid"))
        if self.now - self.last_seen[open_id] > WINDOW_SECONDS:
            return web.json_response(_error(45015, "response out of time limit"))
        await self._received(open_id, body)
        return web.json_response(_error(0, "ok"))

    async def _template_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        open_id = body.get("touser", "")
        if open_id not in self.last_seen:
            return web.json_response(_error(40003, "invalid openid"))
        await self._received(open_id, {**body, "msgtype": "template"})
        return web.json_response({**_error(0, "ok"), "msgid": next(self._ids)})

    async def _media_upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("media")
        if not isinstance(upload, web.FileField):
            return web.json_response(_error(41005, "media data missing"))
        media_id = secrets.token_urlsafe(24)
        self.media[media_id] = upload.file.read()
        kind = request.query.get("type", "image")
        return web.json_response({"type": kind, "media_id": media_id, "created_at": self.now})

    async def _media_get(self, request: web.Request) -> web.Response:
        data = self.media.get(request.query.get("media_id", ""))
        if data is None:
            return web.json_response(_error(40007, "invalid media_id"))
        return web.Response(body=data, content_type="image/jpeg")

    async def _qrcode(self, request: web.Request) -> web.Response:
        body = await request.json()
        scene = str(body.get("action_info", {}).get("scene", {}).get("scene_str", ""))
        ticket = secrets.token_urlsafe(24)
        self.qrcodes[ticket] = scene
        answer: dict[str, Any] = {"ticket": ticket, "url": f"http://weixin.qq.com/q/{ticket}"}
        if "expire_seconds" in body:
            answer["expire_seconds"] = body["expire_seconds"]
        return web.json_response(answer)

    async def _menu(self, request: web.Request) -> web.Response:
        self.menu = await request.json()
        return web.json_response(_error(0, "ok"))

    async def _received(self, open_id: str, body: dict[str, Any]) -> None:
        async with self._changed:
            self.inbox.setdefault(open_id, []).append(body)
            self.transcript.append(f"bot → {open_id}: {_sent_summary(body)}")
            self._changed.notify_all()

    async def wait_received(self, open_id: str, count: int) -> list[dict[str, Any]]:
        """Wait until the follower has received at least `count` messages."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.inbox.get(open_id, [])) >= count)
        return self.inbox.get(open_id, [])

    def bot_settings(self) -> dict[str, Any]:
        """The `Settings` fields that point a bot at this emulator's Official Account."""
        return {
            "wechat_app_id": self.config.app_id,
            "wechat_app_secret": self.config.app_secret,
            "wechat_token": self.config.token,
            "wechat_aes_key": self.config.aes_key,
            "wechat_api_url": self.url,
        }

    # The control API.

    async def _control_setup(self, request: web.Request) -> web.Response:
        body = await request.json()
        if "bot_url" in body:
            self.bot_url = str(body["bot_url"])
        if "mode" in body:
            self.config.mode = body["mode"]
        if "answer_timeout" in body:
            self.config.answer_timeout = float(body["answer_timeout"])
        return web.json_response({"ok": True})

    async def _control_push(self, request: web.Request) -> web.Response:
        body = await request.json()
        delivery = await self.push(str(body["openid"]), dict(body["fields"]))
        return web.json_response(
            {"attempts": delivery.attempts, "index": len(self.deliveries) - 1}
        )

    async def _control_redeliver(self, request: web.Request) -> web.Response:
        body = await request.json()
        delivery = self.deliveries[int(body["index"])]
        await self.deliver(delivery, str(body["openid"]))
        return web.json_response({"attempts": delivery.attempts})

    async def _control_clock(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.now += int(body.get("advance", 0))
        return web.json_response({"now": self.now})

    async def _control_received(self, request: web.Request) -> web.Response:
        open_id = request.query["openid"]
        count = int(request.query.get("count", "1"))
        try:
            async with asyncio.timeout(float(request.query.get("timeout", "5"))):
                received = await self.wait_received(open_id, count)
        except TimeoutError:
            received = self.inbox.get(open_id, [])
        return web.json_response({"messages": received})

    async def _control_transcript(self, _request: web.Request) -> web.Response:
        return web.json_response({"lines": self.transcript})


def _error(code: int, message: str) -> dict[str, Any]:
    return {"errcode": code, "errmsg": message}


def _summary(body: dict[str, Any]) -> str:
    kind = body.get("MsgType")
    if kind == "text":
        return str(body.get("Content"))
    if kind == "event":
        return f"[{body.get('Event')} {body.get('EventKey', '')}]".replace(" ]", "]")
    return f"[{kind}]"


def _sent_summary(body: dict[str, Any]) -> str:
    kind = body.get("msgtype")
    if kind == "text":
        return str(body.get("text", {}).get("content"))
    if kind == "template":
        return f"[template {body.get('template_id')}]"
    return f"[{kind}]"
