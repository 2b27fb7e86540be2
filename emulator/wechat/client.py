"""A follower of the emulated Official Account, driven over the emulator's control API.

Tests read like a chat: `await user.send_text("路口乱收费")`, `await user.expect("已收到")`.
"""

from __future__ import annotations

import itertools
from typing import Any

import aiohttp

_msg_ids = itertools.count(20_000_000_000)


class WeChatUser:
    """One follower (an OpenID) talking to the bot through the emulator."""

    def __init__(self, http: aiohttp.ClientSession, control_url: str, open_id: str) -> None:
        self._http = http
        self._url = control_url.rstrip("/")
        self.open_id = open_id
        self._seen = 0
        self.last_delivery: int | None = None

    async def _push(self, fields: dict[str, Any]) -> list[str]:
        body = {"openid": self.open_id, "fields": fields}
        async with self._http.post(f"{self._url}/control/push", json=body) as response:
            answer = await response.json()
        self.last_delivery = int(answer["index"])
        return list(answer["attempts"])

    async def send_text(self, text: str) -> list[str]:
        """Send a text; return what the bot answered to each delivery attempt."""
        return await self._push({"MsgType": "text", "Content": text, "MsgId": next(_msg_ids)})

    async def send_image(self, media_id: str, pic_url: str = "") -> list[str]:
        fields = {"MsgType": "image", "PicUrl": pic_url, "MediaId": media_id}
        return await self._push({**fields, "MsgId": next(_msg_ids)})

    async def send_voice(self, media_id: str = "voice-0") -> list[str]:
        fields = {"MsgType": "voice", "MediaId": media_id, "Format": "amr"}
        return await self._push({**fields, "MsgId": next(_msg_ids)})

    async def send_location(self, latitude: float, longitude: float, label: str = "") -> list[str]:
        fields = {"MsgType": "location", "Location_X": latitude, "Location_Y": longitude}
        return await self._push({**fields, "Scale": 15, "Label": label, "MsgId": next(_msg_ids)})

    async def subscribe(self, scene: str | None = None) -> list[str]:
        """Follow the account, from a parametric QR code when `scene` is given."""
        fields: dict[str, Any] = {"MsgType": "event", "Event": "subscribe"}
        if scene is not None:
            fields["EventKey"] = f"qrscene_{scene}"
        return await self._push(fields)

    async def scan(self, scene: str) -> list[str]:
        """Scan a parametric QR code while already following (EventKey is the bare scene)."""
        return await self._push({"MsgType": "event", "Event": "SCAN", "EventKey": scene})

    async def click(self, key: str) -> list[str]:
        return await self._push({"MsgType": "event", "Event": "CLICK", "EventKey": key})

    async def redeliver(self) -> list[str]:
        """Deliver the last push again, as WeChat does when it missed the answer."""
        body = {"openid": self.open_id, "index": self.last_delivery}
        async with self._http.post(f"{self._url}/control/redeliver", json=body) as response:
            return list((await response.json())["attempts"])

    async def received(self, count: int = 0, wait: float = 5.0) -> list[dict[str, Any]]:
        params = {"openid": self.open_id, "count": str(count), "timeout": str(wait)}
        async with self._http.get(f"{self._url}/control/received", params=params) as response:
            return list((await response.json())["messages"])

    async def expect(self, text: str, wait: float = 5.0) -> str:
        """Wait for the next message to this follower and check it contains `text`."""
        messages = await self.received(self._seen + 1, wait)
        if len(messages) <= self._seen:
            raise AssertionError(f"no message arrived; expected one with {text!r}")
        message = messages[self._seen]
        self._seen += 1
        content = str(message.get("text", {}).get("content", message))
        if text not in content:
            raise AssertionError(f"expected {text!r} in {content!r}")
        return content
