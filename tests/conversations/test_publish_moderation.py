"""Moderation before publishing: an administrator redacts a passage (it reads `[…]` in the
preview and on the channel), undoes a redaction, hides a photo of the published album;
the originals stay, every step is in the audit log with its reason, and nobody else may.
Department members read in the history and exports that a step was taken by the
supervision office, never why."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import col

from bot.app import SnapreportApp
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from storage.audit import SqlAuditLog
from storage.models import ModerationRecord
from tests.conversations.staff import deliver, outbox, press_data, staff_action, ticket_row
from tests.conversations.steps import (
    begin_with_photo,
    evidence_of,
    file_from_photos,
    ticket_by_code,
)
from tests.conversations.test_stats_export import exported
from tests.conversations.test_stats_publish import CHANNEL, REPLY, channel_posts, closed_ticket
from tests.imagefactory import jpeg_bytes
from ui.keyboards import Moderate, SurveyAnswer

PASSAGE = "The clerk"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_channel_id": CHANNEL})


@pytest.fixture
async def channel(client: EmulatorClient) -> int:
    return (await client.create_channel("Snap transparency", username=CHANNEL[1:])).id


async def moderation_rows(app: SnapreportApp) -> list[ModerationRecord]:
    async with app.session_factory() as session:
        return list(
            await session.scalars(select(ModerationRecord).order_by(col(ModerationRecord.id)))
        )


async def redact(admin: ChatUser, passage: str, reason: str) -> None:
    await admin.press("Redact text")
    await admin.expect("Send the exact passage to hide")
    await admin.send(passage)
    await admin.expect("Why? Type the reason")
    await admin.send(reason)
    await admin.expect("Passage redacted")


async def test_a_redaction_is_previewed_undone_and_published_as_a_mark(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser, client: EmulatorClient, channel: int
) -> None:
    code = await closed_ticket(app, citizen)
    await admin.command("publish", code)
    await admin.expect(f"Preview of {code}")

    await admin.press("Redact text")
    await admin.expect("Send the exact passage to hide")
    await admin.send("window 7")  # not in the reply
    await admin.expect("That passage is not in the text to be published")
    await admin.send(PASSAGE)
    await admin.expect("Why? Type the reason")
    await admin.send("-")
    await admin.expect("A reason is required, in words")
    assert await moderation_rows(app) == []  # nothing stored half-way
    await admin.send("Names the clerk's post")
    preview = await admin.expect(f"Preview of {code}")
    assert "[…] was warned" in preview.content and PASSAGE not in preview.content
    assert "Passages redacted: 1" in preview.content

    await admin.press("Undo")
    listing = await admin.expect("Which step should be undone?")
    assert "«The clerk» — Names the clerk's post" in listing.content
    await admin.press(f"«{PASSAGE}»")
    restored = await admin.expect(f"Preview of {code}")
    assert REPLY in restored.content and "[…]" not in restored.content

    await redact(admin, PASSAGE, "Still names the post")
    await admin.expect(f"Preview of {code}")
    await admin.press("Publish the text only")
    await admin.expect(f"{code} is published on the transparency channel")
    await deliver(app)
    posts = await channel_posts(client, channel)
    assert "[…] was warned" in posts[0].content and PASSAGE not in posts[0].content

    ticket = await ticket_by_code(app, code)
    assert ticket.id is not None
    assert (await ticket_row(app, ticket.id)).public_reply == REPLY  # the original is kept
    rows = await moderation_rows(app)
    assert [(r.target, r.reverted_at is not None) for r in rows] == [
        (PASSAGE, True),
        (PASSAGE, False),
    ]
    async with app.session_factory() as session:
        entries, total = await SqlAuditLog(session).page(kinds=["moderation"], offset=0, limit=10)
    assert total == 3 and {e.ticket_code for e in entries} == {code}
    assert sorted((e.what, e.detail) for e in entries) == [
        ("moderation_redact", f"«{PASSAGE}» — Names the clerk's post"),
        ("moderation_redact", f"«{PASSAGE}» — Still names the post"),
        ("moderation_revert", f"«{PASSAGE}» — Names the clerk's post"),
    ]

    # Published: what the channel shows is final.
    await press_data(admin, Moderate(action="redact", ticket_id=ticket.id))
    await admin.expect(f"{code} has already been published")
    assert len(await moderation_rows(app)) == 2


async def three_photo_ticket(app: SnapreportApp, citizen: ChatUser) -> str:
    """A report with three photos, resolved and rated: closed."""
    await begin_with_photo(citizen, seed=1)
    await citizen.send_album([jpeg_bytes(seed=2), jpeg_bytes(seed=3)])
    await citizen.expect("Received: 3 photo")
    code = await file_from_photos(citizen)
    ticket = await ticket_by_code(app, code)
    assert ticket.id is not None
    await staff_action(app, ticket.id, action="accept")
    await staff_action(app, ticket.id, action="resolve", text=REPLY)
    await press_data(citizen, SurveyAnswer(ticket_id=ticket.id, rating="satisfied"))
    await citizen.expect("Your answer on")
    return code


async def test_a_hidden_photo_is_not_in_the_published_album(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser, client: EmulatorClient, channel: int
) -> None:
    code = await three_photo_ticket(app, citizen)
    ticket = await ticket_by_code(app, code)
    files = [e.telegram_file_id for e in await evidence_of(app, ticket.id)]
    assert len(files) == 3

    await admin.command("publish", code)
    await admin.expect(f"Preview of {code}")
    await admin.press("Hide a photo")
    await admin.expect("Which photo should be left out")
    await admin.press("Report photo 2")
    await admin.expect("Report photo 2: Why?")
    await admin.send("A bystander's face")
    await admin.expect("Photo hidden")
    shown = await admin.expect("Report photo 3")  # the album shown again, without photo 2
    assert shown.photo
    preview = await admin.expect(f"Preview of {code}")
    assert "photos hidden: 1" in preview.content
    assert any("report's photos (2)" in b.text for b in preview.inline_buttons)

    await admin.press("report's photos")
    await admin.expect(f"{code} is published on the transparency channel")
    album = [r for r in await outbox(app) if r.purpose == "channel:photos"]
    assert [r.method for r in album] == ["sendMediaGroup"]
    published = [item["media"] for item in album[0].payload["media"]]
    assert published == [files[0], files[2]]
    await deliver(app)
    assert len([p for p in await channel_posts(client, channel) if p.photo]) == 2
    assert len(await evidence_of(app, ticket.id)) == 3  # the evidence itself is untouched


async def test_only_an_administrator_in_a_private_chat_may_moderate(
    app: SnapreportApp,
    admin: ChatUser,
    supervisor: ChatUser,
    citizen: ChatUser,
    client: EmulatorClient,
    channel: int,
) -> None:
    code = await closed_ticket(app, citizen)
    ticket = await ticket_by_code(app, code)
    assert ticket.id is not None
    await supervisor.command("start")  # a message of the bot's to press the forged data on,
    await supervisor.expect("")  # not waiting for the outbox to deliver the card
    for action in ("redact", "hide", "undo"):
        answer = await press_data(supervisor, Moderate(action=action, ticket_id=ticket.id))
        assert answer.text == "Only administrators can do this."
    await supervisor.send(PASSAGE)  # no moderation step is open for them

    group = await client.create_group("Office staff", [admin.id])
    in_group = await admin.in_chat(group.id)
    await in_group.command("publish", code)
    await in_group.expect(f"Preview of {code}")
    answer = await in_group.press("Redact text")
    assert answer.text is not None and "in a private chat" in answer.text
    assert await moderation_rows(app) == []


async def test_department_members_read_that_it_was_moderated_never_why(
    app: SnapreportApp,
    admin: ChatUser,
    supervisor: ChatUser,
    citizen: ChatUser,
    channel: int,
) -> None:
    reason = "Names the clerk's post"
    code = await closed_ticket(app, citizen)
    await admin.command("publish", code)
    await admin.expect(f"Preview of {code}")
    await redact(admin, PASSAGE, reason)

    await supervisor.command("ticket", code)
    history = await supervisor.expect(f"History of {code}")
    assert "✂️ Passage redacted for publication — moderated by the supervision office" in (
        history.content
    )
    assert reason not in history.content
    await admin.command("ticket", code)
    assert reason in (await admin.expect(f"History of {code}")).content

    member_events = await export_events(supervisor)
    assert ["Supervision office", "moderation_redact", None] in member_events
    assert reason not in str(member_events)
    assert ["Staff member", "moderation_redact", reason] in await export_events(admin)


async def export_events(user: ChatUser) -> list[list[Any]]:
    """The event log of the user's /export: actor, event and text of each row."""
    xlsx, _ = await exported(user)
    book = load_workbook(io.BytesIO(await user.download(xlsx)), read_only=True)
    # Empty cells at a row's end may be left off: padded to the seven columns.
    padded = [[*row, *[None] * 7][:7] for row in book["Event log"].iter_rows(values_only=True)]
    rows = [[row[2], row[3], row[6]] for row in padded]
    book.close()
    return rows
