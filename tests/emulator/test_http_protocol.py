"""The Bot API over raw HTTP: encodings, method names, and Telegram's exact error replies."""

from __future__ import annotations

import json

import aiohttp
import pytest

from emulator import ChatUser, EmulatorClient, EmulatorConfig, EmulatorServer

from .conftest import jpeg

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


async def call(
    http: aiohttp.ClientSession, endpoint: str, /, **fields: object
) -> tuple[int, dict[str, object]]:
    async with http.post(endpoint, json=fields) as response:
        return response.status, await response.json()


async def expect_error(
    http: aiohttp.ClientSession, endpoint: str, code: int, description: str, /, **fields: object
) -> None:
    status, body = await call(http, endpoint, **fields)
    assert (status, body) == (code, {"ok": False, "error_code": code, "description": description})


@pytest.fixture
async def ann(client: EmulatorClient) -> ChatUser:
    return await client.chat_user(first_name="Ann")


async def test_wrong_token_is_unauthorized(
    http: aiohttp.ClientSession, emulator: EmulatorServer
) -> None:
    await expect_error(http, f"{emulator.url}/bot1:nope/getMe", 401, "Unauthorized")


async def test_unknown_method_is_not_found(http: aiohttp.ClientSession, api: str) -> None:
    await expect_error(http, f"{api}/sendTelepathy", 404, "Not Found")


@pytest.mark.parametrize("name", ["getMe", "getme", "GETME", "gEtMe"])
async def test_method_names_are_case_insensitive(
    http: aiohttp.ClientSession, api: str, name: str
) -> None:
    async with http.get(f"{api}/{name}") as response:
        body = await response.json()
    assert body["ok"] is True and body["result"]["username"] == "snapreport_bot"


async def test_get_with_query_string(http: aiohttp.ClientSession, api: str, ann: ChatUser) -> None:
    async with http.get(f"{api}/sendMessage", params={"chat_id": ann.id, "text": "q"}) as response:
        body = await response.json()
    assert body["result"]["text"] == "q"


async def test_urlencoded_form_with_string_typed_values(
    http: aiohttp.ClientSession, api: str, ann: ChatUser
) -> None:
    markup = json.dumps({"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]})
    form = {
        "chat_id": str(ann.id),
        "text": "123",
        "reply_markup": markup,
        "protect_content": "true",
    }
    async with http.post(f"{api}/sendMessage", data=form) as response:
        body = await response.json()
    assert body["result"]["text"] == "123"
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "go"


async def test_multipart_with_a_direct_file_part(
    http: aiohttp.ClientSession, api: str, ann: ChatUser
) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ann.id))
    form.add_field("photo", jpeg(640, 480), filename="p.jpg", content_type="image/jpeg")
    async with http.post(f"{api}/sendPhoto", data=form) as response:
        body = await response.json()
    assert body["ok"] is True
    assert [s["width"] for s in body["result"]["photo"]] == [90, 320, 640]


async def test_missing_or_empty_text(http: aiohttp.ClientSession, api: str, ann: ChatUser) -> None:
    url = f"{api}/sendMessage"
    await expect_error(http, url, 400, "Bad Request: message text is empty", chat_id=ann.id)
    await expect_error(
        http, url, 400, "Bad Request: message text is empty", chat_id=ann.id, text="  "
    )
    await expect_error(
        http,
        url,
        400,
        "Bad Request: message text is empty",
        chat_id=ann.id,
        text="<b> </b>",
        parse_mode="HTML",
    )


async def test_chat_errors(http: aiohttp.ClientSession, api: str, ann: ChatUser) -> None:
    url = f"{api}/sendMessage"
    await expect_error(http, url, 400, "Bad Request: chat not found", chat_id=-5, text="x")
    await expect_error(http, url, 400, "Bad Request: chat not found", chat_id="abc", text="x")
    await expect_error(http, url, 400, "Bad Request: chat_id is empty", text="x")
    await ann.block()
    await expect_error(
        http, url, 403, "Forbidden: bot was blocked by the user", chat_id=ann.id, text="x"
    )


async def test_length_limits(http: aiohttp.ClientSession, api: str, ann: ChatUser) -> None:
    await expect_error(
        http,
        f"{api}/sendMessage",
        400,
        "Bad Request: message is too long",
        chat_id=ann.id,
        text="x" * 4097,
    )
    status, _ = await call(http, f"{api}/sendMessage", chat_id=ann.id, text="字" * 4096)
    assert status == 200
    status, _ = await call(
        http, f"{api}/sendMessage", chat_id=ann.id, text=f"<b>{'x' * 4096}</b>", parse_mode="HTML"
    )
    assert status == 200  # the limit counts text after the tags are stripped
    sent = await ann.client.send_photo(ann.id, jpeg(64, 64))
    await expect_error(
        http,
        f"{api}/sendPhoto",
        400,
        "Bad Request: message caption is too long",
        chat_id=ann.id,
        photo=sent.photo[0].file_id,
        caption="c" * 1025,
    )


async def test_callback_data_is_1_to_64_bytes(
    http: aiohttp.ClientSession, api: str, ann: ChatUser
) -> None:
    for data in ["", "é" * 33]:
        markup = {"inline_keyboard": [[{"text": "B", "callback_data": data}]]}
        await expect_error(
            http,
            f"{api}/sendMessage",
            400,
            "Bad Request: BUTTON_DATA_INVALID",
            chat_id=ann.id,
            text="x",
            reply_markup=markup,
        )
    markup = {"inline_keyboard": [[{"text": "B", "callback_data": "d" * 64}]]}
    status, _ = await call(
        http, f"{api}/sendMessage", chat_id=ann.id, text="x", reply_markup=markup
    )
    assert status == 200


async def test_album_counts(http: aiohttp.ClientSession, api: str, ann: ChatUser) -> None:
    sent = await ann.client.send_photo(ann.id, jpeg(64, 64))
    item = {"type": "photo", "media": sent.photo[0].file_id}
    url = f"{api}/sendMediaGroup"
    await expect_error(
        http,
        url,
        400,
        "Bad Request: too many messages to send as an album",
        chat_id=ann.id,
        media=[item] * 11,
    )
    await expect_error(
        http,
        url,
        400,
        "Bad Request: wrong number of messages to send as an album",
        chat_id=ann.id,
        media=[item],
    )
    status, body = await call(http, url, chat_id=ann.id, media=[item] * 10)
    assert status == 200 and len(body["result"]) == 10  # type: ignore[arg-type]


async def test_edit_errors(http: aiohttp.ClientSession, api: str, ann: ChatUser) -> None:
    await expect_error(
        http,
        f"{api}/editMessageText",
        400,
        "Bad Request: message to edit not found",
        chat_id=ann.id,
        message_id=77,
        text="x",
    )
    _, body = await call(http, f"{api}/sendMessage", chat_id=ann.id, text="same")
    message_id = body["result"]["message_id"]  # type: ignore[index]
    await expect_error(
        http,
        f"{api}/editMessageText",
        400,
        NOT_MODIFIED,
        chat_id=ann.id,
        message_id=message_id,
        text="same",
    )


async def test_get_file_errors(http: aiohttp.ClientSession, api: str) -> None:
    await expect_error(
        http,
        f"{api}/getFile",
        400,
        "Bad Request: wrong file_id or the file is temporarily unavailable",
        file_id="BQACnope",
    )


@pytest.mark.parametrize("config", [EmulatorConfig(rate_limits=False, max_download_bytes=1000)])
async def test_get_file_over_the_download_limit_is_too_big(
    http: aiohttp.ClientSession, api: str, ann: ChatUser
) -> None:
    sent = await ann.send_document(b"x" * 1001, "big.bin")
    assert sent.document is not None
    await expect_error(
        http, f"{api}/getFile", 400, "Bad Request: file is too big", file_id=sent.document.file_id
    )


async def test_file_download_of_unknown_path_is_not_found(
    http: aiohttp.ClientSession, emulator: EmulatorServer
) -> None:
    url = f"{emulator.url}/file/bot{emulator.token}/photos/file_999.jpg"
    async with http.get(url) as response:
        assert response.status == 404
        assert await response.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found",
        }


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"{not json"),
        ("application/json", b"[1, 2]"),
        ("application/x-www-form-urlencoded", b"chat_id=%ZZ&text"),
        ("multipart/form-data", b"garbage without boundary"),
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nbroken"),
    ],
)
async def test_malformed_bodies_are_bad_requests(
    http: aiohttp.ClientSession, api: str, content_type: str, body: bytes
) -> None:
    headers = {"Content-Type": content_type}
    async with http.post(f"{api}/sendMessage", data=body, headers=headers) as response:
        answer = await response.json()
    assert response.status == 400
    assert answer["ok"] is False and answer["description"].startswith("Bad Request: ")


WRONG_TYPES: list[tuple[str, dict[str, object]]] = [
    ("sendMessage", {"chat_id": {"a": 1}, "text": "x"}),
    ("sendMessage", {"chat_id": 1, "text": ["x"]}),
    ("sendMessage", {"chat_id": "@nobody", "text": "x", "reply_markup": "[oops"}),
    ("sendMessage", {"chat_id": True, "text": "x"}),
    ("sendMessage", {"text": "x", "reply_markup": [1]}),
    ("sendMessage", {"text": "x", "entities": "{bad"}),
    ("sendMessage", {"text": "<b>x", "parse_mode": "HTML"}),
    ("sendMessage", {"text": "<blink>x</blink>", "parse_mode": "HTML"}),
    ("sendMessage", {"text": "x", "parse_mode": "Klingon"}),
    ("sendMessage", {"text": "x", "reply_parameters": "{"}),
    ("sendPhoto", {"photo": {"x": 1}}),
    ("sendPhoto", {"photo": "attach://missing"}),
    ("sendMediaGroup", {"media": {"not": "a list"}}),
    ("sendMediaGroup", {"media": [{"type": "video", "media": "x"}] * 2}),
    ("sendMediaGroup", {"media": [{"type": "photo"}, {"type": "photo"}]}),
    ("sendLocation", {"latitude": "north", "longitude": 1}),
    ("sendLocation", {"latitude": 95, "longitude": 1}),
    ("editMessageText", {"message_id": "seven", "text": "x"}),
    ("editMessageText", {"inline_message_id": "abc", "text": "x"}),
    ("deleteMessage", {"message_id": None}),
    ("getUpdates", {"offset": "x"}),
    ("getUpdates", {"allowed_updates": "message"}),
    ("setMyCommands", {"commands": [{"command": "Bad Command", "description": "x"}]}),
    ("setMyCommands", {"commands": [{"command": "ok", "description": ""}]}),
    ("setMyCommands", {"commands": "[]", "scope": {"type": "galaxy"}}),
    ("getMyCommands", {"language_code": "english"}),
    ("sendChatAction", {"action": "dancing"}),
    ("answerCallbackQuery", {"callback_query_id": "404"}),
    ("setWebhook", {"url": "ftp://x", "secret_token": "ok"}),
    ("setWebhook", {"url": "http://127.0.0.1:9", "secret_token": "bad token!"}),
    ("copyMessage", {"from_chat_id": 1, "message_id": 1}),
    ("forwardMessage", {"message_id": 1}),
    ("getChat", {"chat_id": None}),
    ("getFile", {}),
]


@pytest.mark.parametrize(("method", "fields"), WRONG_TYPES)
async def test_wrong_parameters_get_telegram_errors_never_500(
    http: aiohttp.ClientSession, api: str, ann: ChatUser, method: str, fields: dict[str, object]
) -> None:
    fields = {"chat_id": ann.id, **fields}
    status, body = await call(http, f"{api}/{method}", **fields)
    assert status == 400, body
    assert str(body["description"]).startswith("Bad Request: ")
