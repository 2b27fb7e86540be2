"""The control API and ChatUser: people sending things, pressing buttons, reading the chat."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from PIL import Image

from emulator import ChatUser, ControlApiError, EmulatorClient

from .conftest import jpeg


@pytest.fixture
async def ann(client: EmulatorClient) -> ChatUser:
    return await client.chat_user(first_name="Ann", last_name="Li", username="ann_li")


def buttons(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    row = [InlineKeyboardButton(text=text, callback_data=data) for text, data in pairs]
    return InlineKeyboardMarkup(inline_keyboard=[row])


@pytest.fixture
async def answering_bot(bot: Bot) -> AsyncIterator[list[Update]]:
    """A bot loop that answers every button press with "got <data>"."""
    seen: list[Update] = []

    async def loop() -> None:
        offset = None
        while True:
            for update in await bot.get_updates(offset=offset, timeout=5):
                offset = update.update_id + 1
                seen.append(update)
                if query := update.callback_query:
                    await bot.answer_callback_query(query.id, text=f"got {query.data}")

    task = asyncio.create_task(loop())
    yield seen
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_album_arrives_as_separate_updates_sharing_a_group(bot: Bot, ann: ChatUser) -> None:
    sent = await ann.send_album([jpeg(gps=True), jpeg(800, 600), jpeg(300, 300)], "three photos")
    assert len({m.media_group_id for m in sent}) == 1 and sent[0].media_group_id
    assert [m.caption for m in sent] == ["three photos", None, None]
    updates = await bot.get_updates()
    messages = [u.message for u in updates if u.message]
    assert [m.media_group_id for m in messages] == [sent[0].media_group_id] * 3
    assert messages[0].caption == "three photos" and messages[1].caption is None
    photo = await ann.download(sent[0])
    assert not Image.open(io.BytesIO(photo)).getexif()


async def test_press_finds_the_button_and_returns_the_answer(
    bot: Bot, ann: ChatUser, answering_bot: list[Update]
) -> None:
    await bot.send_message(ann.id, "Old", reply_markup=buttons(("Accept", "old")))
    await bot.send_message(ann.id, "New", reply_markup=buttons(("Accept ✅", "t:7:acc")))
    answer = await ann.press("Accept")
    assert answer.answered and answer.text == "got t:7:acc" and not answer.show_alert
    queries = [u.callback_query for u in answering_bot if u.callback_query]
    assert queries[0].from_user.id == ann.id


async def test_press_without_such_button_lists_what_there_is(bot: Bot, ann: ChatUser) -> None:
    await bot.send_message(ann.id, "Choose", reply_markup=buttons(("Yes", "y"), ("No", "n")))
    with pytest.raises(AssertionError, match=r"buttons: \['Yes', 'No'\]"):
        await ann.press("Maybe")


async def test_forged_callback_data_reaches_the_bot(
    bot: Bot, ann: ChatUser, client: EmulatorClient
) -> None:
    sent = await bot.send_message(ann.id, "Choose", reply_markup=buttons(("Yes", "y")))
    answer = await client.press(ann.id, ann.chat_id, sent.message_id, "admin:delete:all", wait=0)
    assert not answer.answered
    query = (await bot.get_updates())[-1].callback_query
    assert query is not None and query.data == "admin:delete:all"


async def test_expect_consumes_in_order_and_reports_what_arrived(bot: Bot, ann: ChatUser) -> None:
    await bot.send_message(ann.id, "Step 1/5")
    await bot.send_message(ann.id, "Step 2/5", reply_markup=buttons(("Skip", "s")))
    assert (await ann.expect("Step 2/5")).text == "Step 2/5"
    with pytest.raises(AssertionError, match="nothing arrived"):
        await ann.expect("Step 1/5", timeout=0.1)
    await bot.send_message(ann.id, "Something else")
    with pytest.raises(AssertionError, match=r"what arrived:\n  send #3 message 'Something else'"):
        await ann.expect("Step 3/5", timeout=0.1)


async def test_expect_sees_edits_and_captions(bot: Bot, ann: ChatUser) -> None:
    sent = await bot.send_message(ann.id, "Working…")
    await ann.expect("Working")
    await bot.edit_message_text("Done", chat_id=ann.id, message_id=sent.message_id)
    edited = await ann.expect("Done")
    assert edited.message_id == sent.message_id and edited.edits == 1
    await bot.send_photo(ann.id, BufferedInputFile(jpeg(64, 64), "a.jpg"), caption="Receipt")
    assert (await ann.expect("Receipt")).photo


async def test_expect_nothing(bot: Bot, ann: ChatUser) -> None:
    await ann.expect_nothing(within=0.05)
    await bot.send_message(ann.id, "surprise")
    with pytest.raises(AssertionError, match="surprise"):
        await ann.expect_nothing(within=0.05)


async def test_transcript_applies_edits_and_deletions(
    bot: Bot, ann: ChatUser, client: EmulatorClient
) -> None:
    mine = await ann.send("hello")
    first = await bot.send_message(ann.id, "one", reply_markup=buttons(("A", "a")))
    second = await bot.send_message(ann.id, "two")
    await bot.edit_message_text("one!", chat_id=ann.id, message_id=first.message_id)
    await bot.delete_message(ann.id, second.message_id)
    transcript = await ann.messages()
    assert [(m.message_id, m.from_bot, m.content, m.edits) for m in transcript] == [
        (mine.message_id, False, "hello", 0),
        (first.message_id, True, "one!", 1),
    ]
    assert transcript[1].reply_markup is None
    actions = await client.wait_for_bot_message(ann.chat_id, after_seq=0, timeout=0)
    assert [(a.seq, a.kind, a.message_id) for a in actions] == [
        (1, "send", first.message_id),
        (2, "send", second.message_id),
        (3, "edit", first.message_id),
        (4, "delete", second.message_id),
    ]
    last = await ann.last()
    assert last is not None and last.content == "one!"


async def test_wait_for_bot_message_is_a_long_poll(bot: Bot, ann: ChatUser) -> None:
    waiting = asyncio.create_task(ann.client.wait_for_bot_message(ann.chat_id, 0, timeout=5))
    await asyncio.sleep(0)
    await bot.send_message(ann.id, "now")
    actions = await asyncio.wait_for(waiting, 2)
    assert [a.message.content for a in actions] == ["now"]


async def test_download_what_the_bot_sent_and_documents_keep_exif(bot: Bot, ann: ChatUser) -> None:
    data = jpeg(gps=True)
    await bot.send_document(ann.id, BufferedInputFile(data, "report.jpg"))
    last = await ann.last()
    assert last is not None and await ann.download(last) == data
    sent = await ann.send_document(data, "IMG_0001.JPG", "image/jpeg")
    update = (await bot.get_updates())[-1]
    assert update.message is not None and update.message.document is not None
    received = await bot.download(update.message.document.file_id)
    assert received is not None
    raw = received.read()
    assert raw == data
    assert Image.open(io.BytesIO(raw)).getexif().get(0x8825) is not None
    assert sent.document is not None and sent.document.mime_type == "image/jpeg"


async def test_undecodable_photo_is_a_control_error(ann: ChatUser) -> None:
    with pytest.raises(ControlApiError, match="IMAGE_PROCESS_FAILED") as refused:
        await ann.send_photo(b"definitely not a jpeg")
    assert refused.value.status == 400


async def test_location_contact_reply_and_edit_updates(bot: Bot, ann: ChatUser) -> None:
    question = await bot.send_message(ann.id, "Where?")
    await ann.send_location(31.2304, 121.4737)
    await ann.share_contact("+8613800000000")
    answer = await ann.send("Near the station", reply_to=question.message_id)
    await ann.edit(answer.message_id, "Near the east station")
    updates = await bot.get_updates()
    location, contact, reply = (u.message for u in updates[:3])
    assert location and location.location and location.location.latitude == pytest.approx(31.2304)
    assert contact and contact.contact and contact.contact.user_id == ann.id
    assert contact.contact.phone_number == "+8613800000000"
    assert reply and reply.reply_to_message and reply.reply_to_message.text == "Where?"
    edited = updates[3].edited_message
    assert edited is not None and edited.text == "Near the east station" and edited.edit_date


async def test_tap_reply_keyboard_sends_text_or_contact(bot: Bot, ann: ChatUser) -> None:
    keyboard = ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text="📱 Share phone", request_contact=True)],
            [KeyboardButton(text="📍 Location", request_location=True)],
            [KeyboardButton(text="Cancel")],
        ]
    )
    await bot.send_message(ann.id, "How can we reach you?", reply_markup=keyboard)
    assert (await ann.tap("Share phone")).contact is not None
    assert (await ann.tap("Location", location=(31.0, 121.0))).location is not None
    assert (await ann.tap("Cancel")).text == "Cancel"
    with pytest.raises(AssertionError, match="no button containing 'Help'"):
        await ann.tap("Help")


async def test_commands_start_payload_and_group_chats(
    bot: Bot, ann: ChatUser, client: EmulatorClient
) -> None:
    await ann.start("qr_station-12")
    bo = await client.chat_user(first_name="Bo")
    group = await client.create_group("Supervisors", [ann.id, bo.id], supergroup=True)
    in_group = await ann.in_chat(group.id)
    await in_group.command("queue@snapreport_bot")
    start, queue = (u.message for u in await bot.get_updates())
    assert start and start.text == "/start qr_station-12"
    assert queue and queue.chat.type == "supergroup" and queue.chat.id < 0
    assert queue.entities and queue.entities[0].length == len("/queue@snapreport_bot")
    await bot.send_message(group.id, "Ticket SR-1 is new")
    assert (await in_group.expect("SR-1")).chat_id == group.id


async def test_control_errors_name_the_problem(client: EmulatorClient, ann: ChatUser) -> None:
    with pytest.raises(ControlApiError, match="unknown user 42") as refused:
        await client.send_text(42, "hi")
    assert refused.value.status == 404
    with pytest.raises(ControlApiError, match="already exists"):
        await client.create_user(user_id=ann.id)
    outsider = await client.create_user()
    group = await client.create_group("Closed", [ann.id])
    with pytest.raises(ControlApiError, match="not a member"):
        await client.send_text(outsider.id, "let me in", chat_id=group.id)
    with pytest.raises(ControlApiError, match=r"2\.\.10"):
        await client.send_album(ann.id, [jpeg(64, 64)])


async def test_stats_and_reset(bot: Bot, ann: ChatUser, client: EmulatorClient) -> None:
    await bot.send_message(ann.id, "x")
    await bot.get_me()
    stats = await client.stats()
    assert stats.requests == {"sendMessage": 1, "getMe": 1}
    await client.reset()
    assert (await client.stats()).requests == {}
    with pytest.raises(ControlApiError):
        await client.chat(ann.id)
