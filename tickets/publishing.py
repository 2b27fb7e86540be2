"""Publishing a closed ticket to the transparency channel: who may, and what it shows.

A publication is anonymised by construction: `PublicSummary` has no field that could name
the reporter. Left out on purpose are the identity fields, the tracking code (the
reporter's key, GlobaLeaks-style), the description in the reporter's own words (it may
say who they are, or accuse someone by name), and any place they typed (it may be their
home); a place shows only when it is a registered QR/deep-link place, printed on a poster
anyway. Photos go out only when an administrator picked a set after seeing it: the
department's result photos or the report's own. Only administrators publish, only closed
tickets, each ticket once (a `published` event records it), and only when the deployment
has a public channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from tickets.actors import Actor
from tickets.errors import Conflict, DomainError, Forbidden, NotFound
from tickets.states import TicketState
from tickets.views import TicketView

PUBLISHED_EVENT = "published"
ALBUM_MAX = 10  # Telegram's most photos per album


class PhotoChoice(StrEnum):
    """Which photos an administrator chose to publish with the text."""

    NONE = "none"
    RESULT = "result"  # the department's photos of the result
    REPORT = "report"  # the reporter's evidence


@dataclass(frozen=True)
class PublicSummary:
    """Everything a publication may show; nothing here can identify the reporter."""

    category: str
    department: str
    place: str | None
    filed_at: datetime
    resolved_at: datetime | None
    resolved_on_time: bool | None
    reply: str | None
    satisfaction: str | None  # an answered rating only; a default rating is no opinion


@dataclass(frozen=True)
class Publication:
    """A ticket ready to publish: its summary and the photo sets the admin may add."""

    ticket: TicketView
    summary: PublicSummary
    photos: dict[PhotoChoice, tuple[str, ...]]


class PublicationStore(Protocol):
    async def get(self, *, ticket_id: int) -> TicketView | None: ...

    async def get_by_code(self, *, code: str) -> TicketView | None: ...

    async def published_at(self, *, ticket_id: int) -> datetime | None: ...

    async def tag_place(self, *, tag: str) -> str | None: ...

    async def photo_file_ids(self, *, ticket_id: int, choice: PhotoChoice) -> list[str]: ...

    async def satisfaction_default(self, *, ticket_id: int) -> bool: ...

    async def record_published(
        self, *, ticket_id: int, at: datetime, actor_id: int, photos: PhotoChoice
    ) -> None: ...


class Channel(Protocol):
    async def post_ticket(
        self, summary: PublicSummary, *, photo_file_ids: Sequence[str], key: str
    ) -> None: ...


def public_summary(
    ticket: TicketView, *, tag_place: str | None, satisfaction_default: bool
) -> PublicSummary:
    """Keep only what may be published about `ticket`."""
    on_time = None
    if ticket.resolved_at is not None and ticket.resolve_by is not None:
        on_time = ticket.resolved_at <= ticket.resolve_by
    return PublicSummary(
        category=ticket.category,
        department=ticket.department_name,
        place=tag_place if ticket.source_tag else None,
        filed_at=ticket.created_at,
        resolved_at=ticket.resolved_at,
        resolved_on_time=on_time,
        reply=ticket.public_reply,
        satisfaction=None if satisfaction_default else ticket.satisfaction,
    )


async def prepare_publication(
    store: PublicationStore,
    actor: Actor,
    *,
    code: str | None = None,
    ticket_id: int | None = None,
    channel_configured: bool,
) -> Publication:
    """Check that `actor` may publish the ticket now, and say what would be published."""
    if not actor.is_admin:
        raise Forbidden("not_admin")
    if not channel_configured:
        raise DomainError("no_public_channel")
    if ticket_id is not None:
        ticket = await store.get(ticket_id=ticket_id)
    else:
        ticket = await store.get_by_code(code=code or "")
    if ticket is None:
        raise NotFound("ticket_not_found")
    if ticket.state != TicketState.CLOSED:
        raise Conflict("publish_not_closed", state=ticket.state)
    if await store.published_at(ticket_id=ticket.id) is not None:
        raise Conflict("already_published", code=ticket.code)
    summary = public_summary(
        ticket,
        tag_place=await store.tag_place(tag=ticket.source_tag) if ticket.source_tag else None,
        satisfaction_default=await store.satisfaction_default(ticket_id=ticket.id),
    )
    photos = {
        choice: tuple((await store.photo_file_ids(ticket_id=ticket.id, choice=choice))[:ALBUM_MAX])
        for choice in (PhotoChoice.RESULT, PhotoChoice.REPORT)
    }
    return Publication(ticket, summary, {c: ids for c, ids in photos.items() if ids})


async def publish_ticket(
    store: PublicationStore,
    channel: Channel,
    actor: Actor,
    *,
    ticket_id: int,
    photos: PhotoChoice,
    now: datetime,
    channel_configured: bool,
) -> Publication:
    """Post the anonymised summary (and the chosen photos) once, and record that it was."""
    publication = await prepare_publication(
        store, actor, ticket_id=ticket_id, channel_configured=channel_configured
    )
    chosen = publication.photos.get(photos, ()) if photos is not PhotoChoice.NONE else ()
    await channel.post_ticket(
        publication.summary, photo_file_ids=chosen, key=f"publish:ticket:{ticket_id}"
    )
    await store.record_published(
        ticket_id=ticket_id, at=now, actor_id=actor.user_id, photos=photos
    )
    return publication
