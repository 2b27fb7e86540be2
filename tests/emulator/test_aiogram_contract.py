"""aiogram's own Bot against the emulator: every method the bot uses, parsed into aiogram types."""

from __future__ import annotations

import io

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    BufferedInputFile,
    ChatFullInfo,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    KeyboardButton,
    MediaUnion,
    Message,
    ReplyKeyboardMarkup,
    ReplyParameters,
)
from PIL import Image

from emulator import ChatUser, EmulatorClient

from .conftest import jpeg, png


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(text=text, callback_data=data) for text, data in pairs]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


def pairs(commands: list[BotCommand]) -> list[tuple[str, str]]:
    return [(command.command, command.description) for command in commands]


@pytest.fixture
async def ann(client: EmulatorClient) -> ChatUser:
    return await client.chat_user(first_name="Ann", username="ann", language_code="zh-hans")


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456789, True, "snapreport_bot")


async def test_get_updates_delivers_user_messages_as_aiogram_updates(
    bot: Bot, ann: ChatUser
) -> None:
    await ann.send("hello")
    await ann.command("status", "SR-7K3Q-9XPA")
    updates = await bot.get_updates(timeout=1)
    assert [u.message.text for u in updates if u.message] == ["hello", "/status SR-7K3Q-9XPA"]
    command = updates[1].message
    assert command is not None and command.entities is not None
    assert (command.entities[0].type, command.entities[0].offset) == ("bot_command", 0)
    assert command.entities[0].length == 7
    assert command.from_user is not None and command.from_user.username == "ann"
    assert command.chat.type == "private" and command.chat.id == ann.id


async def test_send_message_with_html_returns_plain_text_and_entities(
    bot: Bot, ann: ChatUser
) -> None:
    sent = await bot.send_message(
        ann.id,
        "<b>Report</b> &amp; <i>photo</i>",
        parse_mode="HTML",
        reply_markup=keyboard(("OK", "ok")),
    )
    assert sent.text == "Report & photo"
    assert sent.entities is not None
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 6),
        ("italic", 9, 5),
    ]
    assert sent.html_text == "<b>Report</b> &amp; <i>photo</i>"
    assert isinstance(sent.reply_markup, InlineKeyboardMarkup)
    shown = await ann.expect("Report & photo")
    assert shown.source == "<b>Report</b> &amp; <i>photo</i>"


async def test_reply_keyboard_is_kept_for_the_user_but_not_echoed(bot: Bot, ann: ChatUser) -> None:
    markup = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Share phone", request_contact=True)]], resize_keyboard=True
    )
    sent = await bot.send_message(ann.id, "Your phone?", reply_markup=markup)
    assert sent.reply_markup is None
    last = await ann.last()
    assert last is not None and last.keyboard_buttons[0].request_contact


async def test_reply_parameters_and_missing_reply_target(bot: Bot, ann: ChatUser) -> None:
    question = await ann.send("where?")
    reply = await bot.send_message(
        ann.id, "here", reply_parameters=ReplyParameters(message_id=question.message_id)
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "where?"
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(ann.id, "x", reply_parameters=ReplyParameters(message_id=999))


async def test_send_photo_upload_is_recompressed_into_sizes(bot: Bot, ann: ChatUser) -> None:
    sent = await bot.send_photo(
        ann.id,
        BufferedInputFile(png(2000, 1000), "a.png"),
        caption="<b>Seen</b>",
        parse_mode="HTML",
    )
    assert [(size.width, size.height) for size in sent.photo or []] == [
        (90, 45),
        (320, 160),
        (800, 400),
        (1280, 640),
    ]
    assert sent.caption == "Seen" and sent.caption_entities is not None
    again = await bot.send_photo(ann.id, (sent.photo or [])[0].file_id)
    assert [size.file_unique_id for size in again.photo or []] == [
        size.file_unique_id for size in sent.photo or []
    ]


async def test_send_photo_refuses_urls_and_unknown_ids(bot: Bot, ann: ChatUser) -> None:
    with pytest.raises(TelegramBadRequest, match="failed to get HTTP URL content"):
        await bot.send_photo(ann.id, "https://example.com/a.jpg")
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(ann.id, "AgACnope")
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(ann.id, BufferedInputFile(b"not an image", "a.jpg"))


async def test_send_media_group_with_attached_uploads_and_file_ids(
    bot: Bot, ann: ChatUser
) -> None:
    first = await bot.send_photo(ann.id, BufferedInputFile(jpeg(400, 300), "a.jpg"))
    album = await bot.send_media_group(
        ann.id,
        [
            InputMediaPhoto(
                media=BufferedInputFile(jpeg(), "b.jpg"), caption="<i>two</i>", parse_mode="HTML"
            ),
            InputMediaPhoto(media=(first.photo or [])[-1].file_id),
        ],
    )
    assert len(album) == 2
    assert album[0].media_group_id is not None
    assert album[0].media_group_id == album[1].media_group_id
    assert album[0].caption == "two" and album[1].caption is None


async def test_media_group_of_documents(bot: Bot, ann: ChatUser) -> None:
    album = await bot.send_media_group(
        ann.id,
        [
            InputMediaDocument(media=BufferedInputFile(b"one", "one.txt")),
            InputMediaDocument(media=BufferedInputFile(b"two", "two.txt")),
        ],
    )
    assert [m.document.file_name for m in album if m.document] == ["one.txt", "two.txt"]


async def test_media_group_size_is_checked(bot: Bot, ann: ChatUser) -> None:
    one: list[MediaUnion] = [InputMediaPhoto(media=BufferedInputFile(jpeg(64, 64), "a.jpg"))]
    with pytest.raises(TelegramBadRequest, match="wrong number of messages"):
        await bot.send_media_group(ann.id, one)
    with pytest.raises(TelegramBadRequest, match="too many messages to send as an album"):
        await bot.send_media_group(ann.id, one * 11)


async def test_document_round_trip_keeps_bytes_and_name(bot: Bot, ann: ChatUser) -> None:
    data = jpeg(gps=True)
    sent = await bot.send_document(ann.id, BufferedInputFile(data, "evidence.jpg"), caption="file")
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.mime_type) == ("evidence.jpg", "image/jpeg")
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path and file.file_size == len(data)
    downloaded = await bot.download(file)
    assert downloaded is not None and downloaded.read() == data


async def test_user_photo_reaches_the_bot_without_exif(bot: Bot, ann: ChatUser) -> None:
    await ann.send_photo(jpeg(gps=True), caption="broken streetlight")
    updates = await bot.get_updates()
    photo = updates[0].message.photo if updates[0].message else None
    assert photo is not None and updates[0].message and updates[0].message.caption
    downloaded = await bot.download(photo[-1].file_id)
    assert downloaded is not None
    image = Image.open(io.BytesIO(downloaded.read()))
    assert image.format == "JPEG" and not image.getexif()


async def test_send_location(bot: Bot, ann: ChatUser) -> None:
    sent = await bot.send_location(ann.id, latitude=31.23, longitude=121.47)
    assert sent.location is not None and sent.location.latitude == pytest.approx(31.23)


async def test_copy_and_forward(bot: Bot, ann: ChatUser, client: EmulatorClient) -> None:
    group = await client.create_group("Supervisors", [ann.id])
    original = await ann.send_photo(jpeg(320, 240), caption="evidence")
    copied = await bot.copy_message(group.id, ann.chat_id, original.message_id, caption="copy")
    forwarded = await bot.forward_message(group.id, ann.chat_id, original.message_id)
    transcript = await client.transcript(group.id)
    assert [m.content for m in transcript] == ["copy", "evidence"]
    assert transcript[0].message_id == copied.message_id
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.type == "user"


async def test_edits_and_not_modified(bot: Bot, ann: ChatUser) -> None:
    sent = await bot.send_message(ann.id, "Step 1", reply_markup=keyboard(("Next", "n")))
    edited = await bot.edit_message_text(
        "Step <b>2</b>", chat_id=ann.id, message_id=sent.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, Message)
    assert edited.text == "Step 2" and edited.edit_date is not None
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Step <b>2</b>", chat_id=ann.id, message_id=sent.message_id, parse_mode="HTML"
        )
    marked = await bot.edit_message_reply_markup(
        chat_id=ann.id, message_id=sent.message_id, reply_markup=keyboard(("Done", "d"))
    )
    assert isinstance(marked, Message) and marked.reply_markup is not None
    photo = await bot.send_photo(ann.id, BufferedInputFile(jpeg(64, 64), "a.jpg"), caption="a")
    recaptioned = await bot.edit_message_caption(
        chat_id=ann.id, message_id=photo.message_id, caption="b"
    )
    assert isinstance(recaptioned, Message) and recaptioned.caption == "b"
    assert [m.edits for m in await ann.messages() if m.from_bot] == [2, 1]


async def test_edit_errors(bot: Bot, ann: ChatUser) -> None:
    mine = await ann.send("user text")
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=ann.id, message_id=999)
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=ann.id, message_id=mine.message_id)
    sent = await bot.send_message(ann.id, "text only")
    with pytest.raises(TelegramBadRequest, match="there is no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=ann.id, message_id=sent.message_id, caption="c")


async def test_delete_message(bot: Bot, ann: ChatUser) -> None:
    sent = await bot.send_message(ann.id, "soon gone")
    assert await bot.delete_message(ann.id, sent.message_id) is True
    assert await ann.messages() == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(ann.id, sent.message_id)


async def test_callback_query_and_answer(bot: Bot, ann: ChatUser, client: EmulatorClient) -> None:
    sent = await bot.send_message(ann.id, "Accept?", reply_markup=keyboard(("Accept", "t:1:ok")))
    pressed = await client.press(ann.id, ann.chat_id, sent.message_id, "t:1:ok", wait=0)
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query is not None
    assert (query.id, query.data, query.from_user.id) == (
        pressed.callback_query_id,
        "t:1:ok",
        ann.id,
    )
    assert isinstance(query.message, Message) and query.message.message_id == sent.message_id
    assert query.chat_instance
    assert await bot.answer_callback_query(query.id, text="Accepted") is True
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)


async def test_commands_by_scope_and_language(bot: Bot, ann: ChatUser) -> None:
    default = [BotCommand(command="report", description="Report")]
    english = [BotCommand(command="help", description="Help")]
    admin = [BotCommand(command="dept", description="Departments")]
    await bot.set_my_commands(default, scope=BotCommandScopeDefault())
    await bot.set_my_commands(english, scope=BotCommandScopeDefault(), language_code="en")
    await bot.set_my_commands(admin, scope=BotCommandScopeChat(chat_id=ann.id))
    assert pairs(await bot.get_my_commands()) == [("report", "Report")]
    assert pairs(await bot.get_my_commands(language_code="en")) == [("help", "Help")]
    assert pairs(await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=ann.id))) == [
        ("dept", "Departments")
    ]
    assert await bot.get_my_commands(language_code="de") == []
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.set_my_commands(admin, scope=BotCommandScopeChat(chat_id=424242))


async def test_chat_action_and_get_chat(bot: Bot, ann: ChatUser, client: EmulatorClient) -> None:
    assert await bot.send_chat_action(ann.id, "upload_photo") is True
    chat = await bot.get_chat(ann.id)
    assert isinstance(chat, ChatFullInfo)
    assert (chat.type, chat.first_name, chat.username) == ("private", "Ann", "ann")
    group = await client.create_group("Office", [ann.id], supergroup=True)
    info = await bot.get_chat(group.id)
    assert (info.type, info.title) == ("supergroup", "Office")


async def test_blocked_user_and_unknown_chat(
    bot: Bot, ann: ChatUser, client: EmulatorClient
) -> None:
    await ann.block()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(ann.id, "hello?")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(-42, "hello?")
    stranger = await client.create_user(first_name="Bo", open_chat=False)
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(stranger.id, "hello?")
    updates = await bot.get_updates()
    blocked = updates[-1].my_chat_member
    assert blocked is not None and blocked.new_chat_member.status == "kicked"


async def test_webhook_settings_round_trip(bot: Bot) -> None:
    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cret") is True
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook" and info.pending_update_count == 0
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert (await bot.get_webhook_info()).url == ""
