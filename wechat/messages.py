"""Pushes (messages and events a follower causes) as frozen values, and passive replies.

Only what snapreport acts on gets its own type; voice, video, files and links arrive as
`OtherMessage` so the bot can say it cannot take them instead of staying silent.
"""

from __future__ import annotations

from dataclasses import dataclass

from wechat.xml import XmlError, XmlValue, build_xml, parse_xml

SCENE_PREFIX = "qrscene_"


@dataclass(frozen=True)
class Push:
    """What every push carries: the account, the follower's OpenID and WeChat's time."""

    to_user: str
    from_user: str
    create_time: int
    msg_type: str

    @property
    def dedup_key(self) -> str:
        """Return the key under which WeChat's retries of this push are recognised."""
        raise NotImplementedError


@dataclass(frozen=True)
class Message(Push):
    msg_id: int

    @property
    def dedup_key(self) -> str:
        return f"msg:{self.msg_id}"


@dataclass(frozen=True)
class TextMessage(Message):
    content: str


@dataclass(frozen=True)
class ImageMessage(Message):
    pic_url: str
    media_id: str


@dataclass(frozen=True)
class LocationMessage(Message):
    latitude: float
    longitude: float
    scale: int
    label: str


@dataclass(frozen=True)
class OtherMessage(Message):
    """Voice, video, short video, file, link: received, not (yet) understood."""


@dataclass(frozen=True)
class Event(Push):
    event: str
    event_key: str

    @property
    def dedup_key(self) -> str:
        # Events have no MsgId: WeChat's own advice is sender + CreateTime; the event and its
        # key keep two menu buttons pressed within one second apart (a retry repeats both).
        return f"event:{self.from_user}:{self.create_time}:{self.event}:{self.event_key}"


@dataclass(frozen=True)
class SubscribeEvent(Event):
    """A follow; `scene` is set when it came from a parametric QR code."""

    scene: str | None


@dataclass(frozen=True)
class ScanEvent(Event):
    """An existing follower scanned a parametric QR code (EventKey is the bare scene)."""

    scene: str


@dataclass(frozen=True)
class ClickEvent(Event):
    """A menu button of type `click`: `event_key` is the button's key."""


@dataclass(frozen=True)
class OtherEvent(Event):
    """Unsubscribe, LOCATION reports, VIEW and any event not handled yet."""


_Fields = dict[str, XmlValue]
_Head = tuple[str, str, int, str]


def _text(fields: _Fields, tag: str, default: str | None = None) -> str:
    value = fields.get(tag, default)
    if not isinstance(value, str):
        raise XmlError(f"missing or nested <{tag}>")
    return value


def _number(fields: _Fields, tag: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(_text(fields, tag).strip())
    except ValueError:
        raise XmlError(f"<{tag}> is not a number") from None


def parse_push(data: bytes | str) -> Push:
    """Parse a (decrypted) push; raise `XmlError` for anything that is not one."""
    fields = parse_xml(data)
    head: _Head = (
        _text(fields, "ToUserName"),
        _text(fields, "FromUserName"),
        int(_number(fields, "CreateTime", int)),
        _text(fields, "MsgType").strip().lower(),
    )
    kind = head[3]
    if kind == "event":
        return _event(fields, head)
    msg_id = int(_number(fields, "MsgId", int))
    if kind == "text":
        return TextMessage(*head, msg_id, _text(fields, "Content"))
    if kind == "image":
        return ImageMessage(*head, msg_id, _text(fields, "PicUrl", ""), _text(fields, "MediaId"))
    if kind == "location":
        return LocationMessage(
            *head,
            msg_id,
            latitude=float(_number(fields, "Location_X", float)),
            longitude=float(_number(fields, "Location_Y", float)),
            scale=int(_number(fields, "Scale", int)) if "Scale" in fields else 0,
            label=_text(fields, "Label", ""),
        )
    return OtherMessage(*head, msg_id)


def _event(fields: _Fields, head: _Head) -> Event:
    event = _text(fields, "Event")
    key = _text(fields, "EventKey", "")
    name = event.lower()
    if name == "subscribe":
        scene = key.removeprefix(SCENE_PREFIX) if key.startswith(SCENE_PREFIX) else None
        return SubscribeEvent(*head, event, key, scene)
    if name == "scan":
        return ScanEvent(*head, event, key, key)
    if name == "click":
        return ClickEvent(*head, event, key)
    return OtherEvent(*head, event, key)


def text_reply(push: Push, content: str, *, create_time: int) -> str:
    """Build a passive text reply to a push (sent as the HTTP answer, within 5 s)."""
    return build_xml(
        {
            "ToUserName": push.from_user,
            "FromUserName": push.to_user,
            "CreateTime": create_time,
            "MsgType": "text",
            "Content": content,
        }
    )


def encrypted_envelope(encrypt: str, signature: str, timestamp: str, nonce: str) -> str:
    """Wrap a sealed reply as safe mode answers: Encrypt, MsgSignature, TimeStamp, Nonce."""
    return build_xml(
        {"Encrypt": encrypt, "MsgSignature": signature, "TimeStamp": timestamp, "Nonce": nonce}
    )
