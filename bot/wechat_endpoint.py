"""The `/wechat` URL: WeChat's verification GET and its pushes, stored before `success`.

Every request carries `signature` over (Token, timestamp, nonce); safe and compatible mode
add `encrypt_type=aes` and `msg_signature` over the ciphertext too. A request failing
either is refused with 403 and recorded as a SecurityEvent. A push is stored (unique by
MsgId, or sender + CreateTime + event) before the answer, so WeChat's retries of a slow
or lost answer are recognised; handling happens after, and replies go through the
customer-service API, never in the HTTP answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from aiohttp import web

from wechat.crypto import CryptoError, MessageCipher
from wechat.messages import Push, parse_push
from wechat.signature import matches, message_signature, url_signature
from wechat.xml import MAX_XML_BYTES, XmlError, parse_xml

log = structlog.get_logger(__name__)
WECHAT_PATH = "/wechat"

# Store a push and return its new id (None for a retry); must be durable on return.
Store = Callable[[Push, str], Awaitable[int | None]]
Forged = Callable[[str, str], Awaitable[None]]  # (claimed OpenID or "", what was wrong)
Fresh = Callable[[int], None]  # a newly stored push id, to handle after the answer


@dataclass(frozen=True)
class EndpointConfig:
    token: str
    cipher: MessageCipher | None


def wechat_app(
    config: EndpointConfig, *, store: Store, forged: Forged, fresh: Fresh
) -> web.Application:
    """An aiohttp app serving `/wechat` (mounted beside the Telegram webhook or alone)."""
    app = web.Application(client_max_size=MAX_XML_BYTES)

    def signed(request: web.Request) -> bool:
        query = request.query
        expected = url_signature(config.token, query.get("timestamp", ""), query.get("nonce", ""))
        return matches(expected, query.get("signature", ""))

    async def refuse(request: web.Request, what: str) -> web.Response:
        log.warning("wechat_forged_request", reason=what)
        await forged(request.query.get("openid", ""), what)
        return web.Response(status=403)

    async def verify(request: web.Request) -> web.Response:
        if not signed(request):
            return await refuse(request, "bad signature on URL verification")
        return web.Response(text=request.query.get("echostr", ""))

    async def receive(request: web.Request) -> web.Response:
        if not signed(request):
            return await refuse(request, "bad signature on a push")
        body = await request.text()
        try:
            document = _open(request, body)
            if document is None:
                return await refuse(request, "bad msg_signature on a push")
            push = parse_push(document)
        except (XmlError, CryptoError) as error:
            log.warning("wechat_unreadable_push", error=str(error))
            return web.Response(status=400, text="unreadable")
        push_id = await store(push, document)
        if push_id is not None:
            fresh(push_id)
        # "success" (not an empty body) also stops WeChat from telling the follower that
        # the account is failing; the real answer goes through the customer-service API.
        return web.Response(text="success")

    def _open(request: web.Request, body: str) -> str | None:
        """Return the push's plain XML, or None when the safe-mode signature is wrong."""
        if request.query.get("encrypt_type", "raw") != "aes":
            return body
        envelope = parse_xml(body)
        encrypted = envelope.get("Encrypt")
        if not isinstance(encrypted, str):
            raise XmlError("safe mode without <Encrypt>")
        query = request.query
        expected = message_signature(
            config.token, query.get("timestamp", ""), query.get("nonce", ""), encrypted
        )
        if not matches(expected, query.get("msg_signature", "")):
            return None
        if config.cipher is None:
            # Compatible mode also sends the plain fields; without a key, read those.
            if "MsgType" in envelope:
                return body
            raise CryptoError("safe mode, but WECHAT_AES_KEY is not set")
        return config.cipher.decrypt(encrypted).decode()

    app.router.add_get(WECHAT_PATH, verify)
    app.router.add_post(WECHAT_PATH, receive)
    return app
