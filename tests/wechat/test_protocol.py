"""The WeChat protocol against published known answers, and the XML parser against abuse.

The vectors are the ones wechatpy's test-suite publishes for WeChat's message crypto
(token "123456", EncodingAESKey "kWxPEV2U…", id "wx49f0ab532d5d035a", random prefix
"1234567890123456"): an independent implementation must produce the same bytes.
"""

from __future__ import annotations

import hashlib

import pytest

from wechat.crypto import CryptoError, MessageCipher, aes_key_problem
from wechat.messages import (
    ClickEvent,
    ImageMessage,
    LocationMessage,
    OtherEvent,
    OtherMessage,
    ScanEvent,
    SubscribeEvent,
    TextMessage,
    encrypted_envelope,
    parse_push,
    text_reply,
)
from wechat.signature import matches, message_signature, url_signature
from wechat.xml import XmlError, build_xml, parse_xml

TOKEN = "123456"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
APP_ID = "wx49f0ab532d5d035a"
TIMESTAMP = "1411525903"
NONCE = "461056294"

REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
SEALED_REPLY = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNc"
    "BqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY"
    "0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsV"
    "bwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAG"
    "VRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3"
)
SEALED_REPLY_SIGNATURE = "407518b7649e86ef23978113f92d27afa9296533"
SEALED_PUSH = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHC"
    "rsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpX"
    "aG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQi"
    "MS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQi"
    "pvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
SEALED_PUSH_SIGNATURE = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
ECHO = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
ECHO_SIGNATURE = "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"


def test_encrypt_matches_the_published_known_answer() -> None:
    sealed = MessageCipher(AES_KEY, APP_ID).encrypt(
        REPLY.encode(), random_prefix=b"1234567890123456"
    )
    assert sealed == SEALED_REPLY
    assert message_signature(TOKEN, TIMESTAMP, NONCE, sealed) == SEALED_REPLY_SIGNATURE


def test_decrypt_opens_the_published_push_and_its_signature_checks() -> None:
    assert message_signature(TOKEN, TIMESTAMP, NONCE, SEALED_PUSH) == SEALED_PUSH_SIGNATURE
    push = parse_xml(MessageCipher(AES_KEY, APP_ID).decrypt(SEALED_PUSH))
    assert push["Content"] == "test"
    assert push["FromUserName"] == "messense"


def test_published_echostr_signature_checks_and_a_changed_nonce_does_not() -> None:
    assert message_signature(TOKEN, "1411443780", "437374425", ECHO) == ECHO_SIGNATURE
    assert message_signature(TOKEN, "1411443780", "437374424", ECHO) != ECHO_SIGNATURE
    assert MessageCipher(AES_KEY, APP_ID).decrypt(ECHO)  # an echostr is sealed like a push


def test_decrypt_refuses_a_message_sealed_for_another_app_id() -> None:
    sealed = MessageCipher(AES_KEY, "wx0000000000000000").encrypt(b"<xml/>")
    with pytest.raises(CryptoError, match="AppID"):
        MessageCipher(AES_KEY, APP_ID).decrypt(sealed)


@pytest.mark.parametrize("garbage", ["not base64!", "", "QUJD", "A" * 44])
def test_decrypt_refuses_garbage_with_a_crypto_error(garbage: str) -> None:
    with pytest.raises(CryptoError):
        MessageCipher(AES_KEY, APP_ID).decrypt(garbage)


def test_round_trip_of_chinese_text() -> None:
    cipher = MessageCipher("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2")
    message = "<xml><Content><![CDATA[路口有人乱收费]]></Content></xml>".encode()
    assert cipher.decrypt(cipher.encrypt(message)) == message


@pytest.mark.parametrize(
    ("key", "problem"),
    [("short", "43"), ("a" * 42 + "!", "base64"), (AES_KEY, None)],
)
def test_aes_key_is_validated(key: str, problem: str | None) -> None:
    found = aes_key_problem(key)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_url_signature_is_sha1_of_the_sorted_parts() -> None:
    parts = sorted(["spamtest", "1409304348", "xxxxxx"])
    expected = hashlib.sha1("".join(parts).encode()).hexdigest()
    assert url_signature("spamtest", "1409304348", "xxxxxx") == expected
    assert url_signature("xxxxxx", "spamtest", "1409304348") == expected  # order-free
    assert matches(expected, expected.upper())
    assert not matches(expected, "0" * 40)


def push_xml(**fields: str | int | float) -> str:
    base: dict[str, str | int | float] = {
        "ToUserName": "gh_account",
        "FromUserName": "oOpenId123",
        "CreateTime": 1700000000,
    }
    return build_xml({**base, **fields})


def test_text_push_parses_into_a_frozen_value() -> None:
    push = parse_push(push_xml(MsgType="text", Content="有人 <b>乱停车</b> ]]> 了", MsgId=42))
    assert push == TextMessage(
        "gh_account", "oOpenId123", 1700000000, "text", 42, "有人 <b>乱停车</b> ]]> 了"
    )
    assert push.dedup_key == "msg:42"
    with pytest.raises(AttributeError):
        push.content = "changed"  # type: ignore[misc]


def test_image_location_and_other_messages() -> None:
    image = parse_push(push_xml(MsgType="image", PicUrl="http://x/p.jpg", MediaId="m1", MsgId=1))
    assert isinstance(image, ImageMessage) and image.media_id == "m1"
    place = parse_push(
        push_xml(
            MsgType="location",
            Location_X=31.2304,
            Location_Y=121.4737,
            Scale=15,
            Label="上海市黄浦区",
            MsgId=2,
        )
    )
    assert isinstance(place, LocationMessage)
    assert (place.latitude, place.longitude, place.label) == (31.2304, 121.4737, "上海市黄浦区")
    for kind in ("voice", "video", "shortvideo", "file", "link"):
        other = parse_push(push_xml(MsgType=kind, MediaId="m", MsgId=3))
        assert isinstance(other, OtherMessage) and other.msg_type == kind


def test_events_subscribe_scan_click_and_unknown() -> None:
    sub = parse_push(push_xml(MsgType="event", Event="subscribe", EventKey="qrscene_gate7"))
    assert isinstance(sub, SubscribeEvent) and sub.scene == "gate7"
    assert sub.dedup_key == "event:oOpenId123:1700000000:subscribe:qrscene_gate7"
    plain = parse_push(push_xml(MsgType="event", Event="subscribe"))
    assert isinstance(plain, SubscribeEvent) and plain.scene is None
    scan = parse_push(push_xml(MsgType="event", Event="SCAN", EventKey="gate7", Ticket="t"))
    assert isinstance(scan, ScanEvent) and scan.scene == "gate7"
    click = parse_push(push_xml(MsgType="event", Event="CLICK", EventKey="REPORT"))
    assert isinstance(click, ClickEvent) and click.event_key == "REPORT"
    other = parse_push(push_xml(MsgType="event", Event="unsubscribe"))
    assert isinstance(other, OtherEvent)


def test_nested_event_details_parse_as_a_dict() -> None:
    fields = parse_xml(
        "<xml><Event>location_select</Event><SendLocationInfo><Location_X>23</Location_X>"
        "<Label><![CDATA[广州]]></Label></SendLocationInfo></xml>"
    )
    assert fields["SendLocationInfo"] == {"Location_X": "23", "Label": "广州"}


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"""
EXTERNAL = """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<xml><Content>&e;</Content></xml>"""


@pytest.mark.parametrize(
    "document",
    [
        BOMB,
        EXTERNAL,
        "<xml><Content>unclosed</xml>",
        "",
        "not xml at all",
        "<xml><ToUserName>a</ToUserName><ToUserName>b</ToUserName></xml>",
        "<xml><a><b><c><d>deep</d></c></b></a></xml>",
        "<xml>" + "x" * 300_000 + "</xml>",
    ],
    ids=["entity-bomb", "external-entity", "malformed", "empty", "text", "dup", "deep", "big"],
)
def test_hostile_or_broken_xml_is_a_typed_error(document: str) -> None:
    with pytest.raises(XmlError):
        parse_push(document)


@pytest.mark.parametrize(
    "fields",
    [
        {"MsgType": "text", "Content": "no id"},
        {"MsgType": "text", "Content": "x", "MsgId": "abc"},
        {"MsgType": "image", "MsgId": 1},
        {"MsgType": "event"},
    ],
)
def test_a_push_missing_its_fields_is_a_typed_error(fields: dict[str, str | int]) -> None:
    with pytest.raises(XmlError):
        parse_push(push_xml(**fields))


def test_text_reply_swaps_sender_and_recipient_and_round_trips() -> None:
    push = parse_push(push_xml(MsgType="text", Content="hi", MsgId=7))
    reply = parse_xml(text_reply(push, "已收到]]>", create_time=1700000001))
    assert reply == {
        "ToUserName": "oOpenId123",
        "FromUserName": "gh_account",
        "CreateTime": "1700000001",
        "MsgType": "text",
        "Content": "已收到]]>",
    }


def test_encrypted_envelope_carries_the_four_fields() -> None:
    envelope = parse_xml(encrypted_envelope("ENC", "SIG", "1", "N"))
    assert envelope == {"Encrypt": "ENC", "MsgSignature": "SIG", "TimeStamp": "1", "Nonce": "N"}
