"""Steps of the report conversation, said the way a citizen does them, and database reads.

Conversation tests compose these so each test spells out only the part it is about.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from emulator.views import BotAction, ChatMessage
from storage.identity import lookup_hash
from storage.models import Evidence, FsmRecord, Reporter, Ticket, TicketEvent
from tests.factories import reporter_by_hash, rows_of
from tests.imagefactory import jpeg_bytes

DESCRIPTION = "Clerk at window 3 is playing games on his phone for an hour"
CATEGORY = "Phone or private business"


async def begin_with_photo(
    citizen: ChatUser, *, seed: int = 1, caption: str | None = None
) -> None:
    """Send one photo (which starts a draft) and wait for the photos panel."""
    await citizen.send_photo(jpeg_bytes(seed=seed), caption=caption)
    await citizen.expect("Received: 1 photo")


async def go_to_description(citizen: ChatUser) -> None:
    """Press Next on the photos panel and wait for step 2 (the description)."""
    await citizen.press("Next")
    await citizen.expect("Step 2/5")


async def describe(citizen: ChatUser, description: str = DESCRIPTION) -> None:
    await go_to_description(citizen)
    await citizen.send(description)
    await citizen.expect("Step 3/5")


async def categorize(citizen: ChatUser, category: str = CATEGORY) -> None:
    """Pick the category, then say the unit reported is not known (the default routing)."""
    await citizen.press(category)
    await citizen.expect("Which unit is the report about?")
    await citizen.press("Not sure")
    await citizen.expect("Step 4/5")


async def skip_place(citizen: ChatUser) -> None:
    await citizen.press("Skip")
    await citizen.expect("Step 5/5")


async def stay_anonymous(citizen: ChatUser) -> ChatMessage:
    """Press Anonymous at step 5; the preview it leads to."""
    await citizen.press("Anonymous")
    return await citizen.expect("Please check your report")


async def confirm_anonymously(citizen: ChatUser) -> str:
    """At step 5: stay anonymous and confirm the preview; returns the tracking code."""
    await stay_anonymous(citizen)
    return await confirm(citizen)


async def finish_anonymously(citizen: ChatUser) -> str:
    """At step 4: skip the place, stay anonymous and confirm; returns the tracking code."""
    await skip_place(citizen)
    return await confirm_anonymously(citizen)


async def file_from_photos(
    citizen: ChatUser, *, description: str = DESCRIPTION, category: str = CATEGORY
) -> str:
    """From the photos panel: describe, categorize and finish anonymously; returns the code."""
    await describe(citizen, description)
    await categorize(citizen, category)
    return await finish_anonymously(citizen)


async def file_at_the_offered_place(citizen: ChatUser, place: str) -> str:
    """From the photos panel: describe, categorize, take the place a QR code offered (its
    button reads "Use: " and the place's start) and confirm anonymously; returns the code."""
    await describe(citizen)
    await categorize(citizen)
    await citizen.press(f"Use: {place}")
    await citizen.expect("Step 5/5")
    return await confirm_anonymously(citizen)


async def file_with_a_phone_file(
    citizen: ChatUser, upload: bytes, name: str = "IMG_0001.jpg"
) -> str:
    """An anonymous report whose photo is sent as a file, so it arrives with its EXIF."""
    await citizen.send_document(upload, name, "image/jpeg")
    await citizen.expect("Received: 1 photo")
    return await file_from_photos(citizen)


async def to_place(citizen: ChatUser, *, seed: int = 1, description: str = DESCRIPTION) -> None:
    """From nothing to step 4 (the place) of a report with one photo."""
    await begin_with_photo(citizen, seed=seed)
    await describe(citizen, description)
    await categorize(citizen)


async def to_identity(citizen: ChatUser, *, seed: int = 1, description: str = DESCRIPTION) -> None:
    """From nothing to step 5 (anonymous or real name), the place skipped."""
    await to_place(citizen, seed=seed, description=description)
    await skip_place(citizen)


async def to_preview(citizen: ChatUser, *, seed: int = 1, description: str = DESCRIPTION) -> None:
    """From nothing to the preview of an anonymous report with one photo."""
    await to_identity(citizen, seed=seed, description=description)
    await stay_anonymous(citizen)


async def next_past_caption(citizen: ChatUser) -> None:
    """Press Next on the photos panel when a caption already gave the description."""
    await citizen.press("Next")
    await citizen.expect("Step 3/5")


async def ask_for_real_name(citizen: ChatUser) -> None:
    await citizen.press("Real name")
    await citizen.expect("share your phone number")


async def edit_from_preview(citizen: ChatUser, part: str, step: str) -> None:
    """Press Edit on the preview, pick `part`, and wait for its `step` panel."""
    await citizen.press("Edit")
    await citizen.expect("What would you like to change?")
    await citizen.press(part)
    await citizen.expect(step)


async def the_one_panel(citizen: ChatUser) -> Any:
    """The only bot message in the chat that still has inline buttons."""
    panels = [m for m in await citizen.messages() if m.from_bot and m.inline_buttons]
    assert len(panels) == 1, [m.describe() for m in panels]
    return panels[0]


async def confirm(citizen: ChatUser) -> str:
    """Press Confirm on the preview; return the tracking code the bot answers with."""
    await citizen.press("Confirm")
    return code_of(await citizen.expect("Tracking code"))


def code_of(message: Any) -> str:
    return str(message.content.split("Tracking code: ")[1].split()[0])


async def file_report(citizen: ChatUser, *, seed: int = 1, description: str = DESCRIPTION) -> str:
    """A whole anonymous report with one photo; returns its tracking code."""
    await to_preview(citizen, seed=seed, description=description)
    return await confirm(citizen)


async def actions_since(citizen: ChatUser, seq: int, *, within: float = 0.3) -> list[BotAction]:
    """Everything the bot did in the chat after `seq`, waiting `within` s for stragglers."""
    found: list[BotAction] = []
    while actions := await citizen.client.wait_for_bot_message(
        citizen.chat_id, seq, within if not found else 0.05
    ):
        found += actions
        seq = actions[-1].seq
    return found


async def many_citizens(client: EmulatorClient, count: int = 5) -> list[ChatUser]:
    """`count` English-speaking citizens with the bot's chat open, Citizen0 on."""
    return [
        await client.chat_user(first_name=f"Citizen{n}", language_code="en") for n in range(count)
    ]


async def all_at_once(
    app: SnapreportApp,
    citizens: list[ChatUser],
    start: Callable[[ChatUser, int], Awaitable[int]],
    seed: int,
) -> list[list[BotAction]]:
    """Run `start(citizen, seed)` for every citizen at once (seeds 10 apart), let the album
    panels settle, and return what the bot did in each chat after the seq `start` gave."""
    seqs = await asyncio.gather(*(start(c, seed + 10 * n) for n, c in enumerate(citizens)))
    await app.album_panels.wait_idle()
    return [
        await actions_since(citizen, seq, within=0.1)
        for citizen, seq in zip(citizens, seqs, strict=True)
    ]


async def photo_then_albums(citizen: ChatUser, seed: int, *, albums: int, size: int) -> int:
    """A photo (so there is a panel to replace), then `albums` albums of `size` photos back
    to back (seeds counting on from `seed`); returns the chat's seq before the albums."""
    await begin_with_photo(citizen, seed=seed)
    seq = citizen.seq
    for album in range(albums):
        first = seed + 1 + size * album
        await citizen.send_album([jpeg_bytes(seed=n) for n in range(first, first + size)])
    await citizen.expect(f"Received: {1 + albums * size} photo")
    return seq


async def live_panels(citizen: ChatUser, panel: str) -> list[Any]:
    return [m for m in await citizen.messages() if m.from_bot and panel in m.content]


# -- the database -----------------------------------------------------------------------------


async def ticket_by_code(app: SnapreportApp, code: str) -> Ticket:
    async with app.session_factory() as session:
        ticket = await session.scalar(select(Ticket).where(col(Ticket.code) == code))
    assert ticket is not None, f"no ticket {code}"
    return ticket


async def count_tickets(app: SnapreportApp) -> int:
    async with app.session_factory() as session:
        return int(await session.scalar(select(func.count(col(Ticket.id)))) or 0)


async def evidence_of(app: SnapreportApp, ticket_id: int | None) -> list[Evidence]:
    where = col(Evidence.ticket_id) == ticket_id
    return await rows_of(app.session_factory, Evidence, col(Evidence.id), where=where)


async def events_of(app: SnapreportApp, ticket_id: int | None) -> list[TicketEvent]:
    where = col(TicketEvent.ticket_id) == ticket_id
    return await rows_of(app.session_factory, TicketEvent, col(TicketEvent.id), where=where)


async def reporter_of(app: SnapreportApp, user_id: int) -> Reporter | None:
    async with app.session_factory() as session:
        return await reporter_by_hash(session, user_id)


async def fsm_records(app: SnapreportApp, user_id: int) -> list[FsmRecord]:
    """The FSM rows of a user's private chat (the key holds bot:chat:user:..., hashed)."""
    async with app.session_factory() as session:
        hashed = lookup_hash(session, user_id)
        rows = await session.scalars(
            select(FsmRecord).where(col(FsmRecord.key).contains(f":{hashed}:{hashed}:"))
        )
        return list(rows)


async def draft_data(app: SnapreportApp, user_id: int) -> dict[str, Any]:
    records = await fsm_records(app, user_id)
    assert len(records) == 1, records
    return dict(records[0].data)
