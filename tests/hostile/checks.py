"""What every hostile case checks besides the answer: nothing was stored half-way."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from aiogram.types import Update
from sqlalchemy import func, select
from sqlmodel import SQLModel, col

from bot.app import SnapreportApp
from emulator.client import ChatUser
from storage.media import LocalMediaStore
from storage.models import Evidence, OutboxMessage, Ticket, TicketEvent
from tests.factories import text_update


@dataclass(frozen=True)
class Footprint:
    """How much the bot has stored: rows that a refusal must not add, and media files."""

    tickets: int
    evidence: int
    events: int
    outbox: int
    files: int


async def footprint(app: SnapreportApp) -> Footprint:
    async with app.session_factory() as session:
        counts = [
            int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Ticket, Evidence, TicketEvent, OutboxMessage)
        ]
    tickets, evidence, events, outbox = counts
    return Footprint(tickets, evidence, events, outbox, files=media_files(app))


def media_files(app: SnapreportApp) -> int:
    """Files in the media store: photos, thumbnails and sealed originals."""
    assert isinstance(app.media_store, LocalMediaStore)  # the default without MEDIA_URL
    return sum(1 for path in app.media_store.root.rglob("*") if path.is_file())


async def rows(app: SnapreportApp, model: type[SQLModel]) -> int:
    async with app.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def outbox_states(app: SnapreportApp, ticket_id: int | None) -> dict[str, str]:
    """Each outbox row of a ticket: purpose → state (all should read "sent")."""
    async with app.session_factory() as session:
        found = await session.scalars(
            select(OutboxMessage).where(col(OutboxMessage.ticket_id) == ticket_id)
        )
        return {f"{row.id}:{row.purpose}": row.state for row in found}


_injected = itertools.count(2_000_000_000)


def forged_message(user: ChatUser, text: str) -> Update:
    """A text message update from `user` that Telegram itself would never deliver (too
    long, say), as a misbehaving Bot API server or a forged webhook call could."""
    return text_update(next(_injected), user, text)


async def receive(app: SnapreportApp, update: Update) -> None:
    """Take `update` in as the webhook would, and wait until it is handled."""
    await app.receive(update)
    await app.lanes.idle()
