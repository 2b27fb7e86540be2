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

Before publishing, the administrator may moderate (`tickets.moderation`): redact passages
of the text and hide photos, each with a reason, and revert either. The same checks apply,
so a published ticket's moderation is final: what the channel shows cannot be taken back,
and the records say what it was made from. Every step is also a ticket event, which the
audit log lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from tickets.actors import Actor
from tickets.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from tickets.moderation import (
    HIDE_EVENT,
    REDACT_EVENT,
    REVERT_EVENT,
    Moderation,
    ModerationKind,
    PublicPhoto,
    clean_reason,
    moderated,
    passage_found,
    visible,
)
from tickets.states import ActorKind, TicketState
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
    """A ticket ready to publish: its summary and the photo sets the admin may add, both
    as moderated (`summary`, `photos`: the visible file ids of each set that has any) and
    as they are (`original`, `all_photos`), with the active moderation records."""

    ticket: TicketView
    summary: PublicSummary
    photos: dict[PhotoChoice, tuple[str, ...]]
    original: PublicSummary
    all_photos: dict[PhotoChoice, tuple[PublicPhoto, ...]] = field(default_factory=dict)
    moderations: tuple[Moderation, ...] = ()


class PublicationStore(Protocol):
    async def get(self, *, ticket_id: int) -> TicketView | None: ...

    async def get_by_code(self, *, code: str) -> TicketView | None: ...

    async def published_at(self, *, ticket_id: int) -> datetime | None: ...

    async def tag_place(self, *, tag: str) -> str | None: ...

    async def public_photos(self, *, ticket_id: int, choice: PhotoChoice) -> list[PublicPhoto]: ...

    async def satisfaction_default(self, *, ticket_id: int) -> bool: ...

    async def record_published(
        self, *, ticket_id: int, at: datetime, actor_id: int, photos: PhotoChoice
    ) -> None: ...

    async def moderations(self, *, ticket_id: int) -> list[Moderation]:
        """The ticket's moderation records, reverted ones included, oldest first."""
        ...

    async def add_moderation(
        self,
        *,
        ticket_id: int,
        kind: ModerationKind,
        target: str,
        reason: str,
        actor_id: int,
        at: datetime,
    ) -> Moderation: ...

    async def revert_moderation(self, *, moderation_id: int, actor_id: int, at: datetime) -> None:
        """Mark the record reverted; the record itself stays."""
        ...

    async def add_event(
        self,
        *,
        ticket_id: int,
        at: datetime,
        actor_kind: str,
        actor_id: int | None,
        kind: str,
        text: str | None = None,
        payload: dict[str, Any] | None = None,
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
    active = tuple(m for m in await store.moderations(ticket_id=ticket.id) if m.active)
    sets = {
        choice: tuple((await store.public_photos(ticket_id=ticket.id, choice=choice))[:ALBUM_MAX])
        for choice in (PhotoChoice.RESULT, PhotoChoice.REPORT)
    }
    sets = {choice: photos for choice, photos in sets.items() if photos}
    shown = {choice: tuple(visible(photos, active)) for choice, photos in sets.items()}
    return Publication(
        ticket,
        moderated(summary, active),
        {choice: ids for choice, ids in shown.items() if ids},
        original=summary,
        all_photos=sets,
        moderations=active,
    )


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
    if photos is not PhotoChoice.NONE and not chosen:  # a stale button: every photo hidden
        raise Conflict("no_photos_left")
    await channel.post_ticket(
        publication.summary, photo_file_ids=chosen, key=f"publish:ticket:{ticket_id}"
    )
    await store.record_published(
        ticket_id=ticket_id, at=now, actor_id=actor.user_id, photos=photos
    )
    return publication


# -- moderation before publishing (`tickets.moderation`) ------------------------------------


async def check_passage(
    store: PublicationStore,
    actor: Actor,
    *,
    ticket_id: int,
    passage: str,
    channel_configured: bool,
) -> Publication:
    """Check that `actor` may moderate the ticket and that `passage` is in its public text."""
    publication = await prepare_publication(
        store, actor, ticket_id=ticket_id, channel_configured=channel_configured
    )
    if not passage_found(publication.original, passage):
        raise ValidationError("passage_not_found")
    return publication


async def redact_passage(
    store: PublicationStore,
    actor: Actor,
    *,
    ticket_id: int,
    passage: str,
    reason: str,
    now: datetime,
    channel_configured: bool,
) -> Publication:
    """Redact every occurrence of `passage` from what will be published; say it and why."""
    await check_passage(
        store, actor, ticket_id=ticket_id, passage=passage, channel_configured=channel_configured
    )
    step = ModerationStep(ModerationKind.REDACT, target=passage, shown=passage, reason=reason)
    return await _moderate(store, actor, ticket_id, step, now, channel_configured)


async def hide_photo(
    store: PublicationStore,
    actor: Actor,
    *,
    ticket_id: int,
    choice: PhotoChoice,
    number: int,
    reason: str,
    now: datetime,
    channel_configured: bool,
) -> Publication:
    """Leave photo `number` (1-based) of the set `choice` out of the publication."""
    publication = await prepare_publication(
        store, actor, ticket_id=ticket_id, channel_configured=channel_configured
    )
    photos = publication.all_photos.get(choice, ())
    if not 1 <= number <= len(photos):
        raise NotFound("photo_not_found", number=number)
    key = photos[number - 1].key
    if any(m.kind is ModerationKind.HIDE and m.target == key for m in publication.moderations):
        raise Conflict("photo_already_hidden", number=number)
    step = ModerationStep(
        ModerationKind.HIDE, target=key, shown=f"{choice} {number}", reason=reason
    )
    return await _moderate(store, actor, ticket_id, step, now, channel_configured)


async def revert_moderation(
    store: PublicationStore,
    actor: Actor,
    *,
    ticket_id: int,
    moderation_id: int,
    now: datetime,
    channel_configured: bool,
) -> tuple[Moderation, Publication]:
    """Undo one active record: the passage or photo is published again."""
    publication = await prepare_publication(
        store, actor, ticket_id=ticket_id, channel_configured=channel_configured
    )
    record = next((m for m in publication.moderations if m.id == moderation_id), None)
    if record is None:
        raise Conflict("moderation_not_active")
    await store.revert_moderation(moderation_id=record.id, actor_id=actor.user_id, at=now)
    await _audit(store, record, REVERT_EVENT, actor_id=actor.user_id, at=now, shown=record.target)
    after = await prepare_publication(
        store, actor, ticket_id=ticket_id, channel_configured=channel_configured
    )
    return record, after


@dataclass(frozen=True)
class ModerationStep:
    """One moderation step to record: what it hides, how the audit log names it, and why."""

    kind: ModerationKind
    target: str
    shown: str
    reason: str


async def _moderate(
    store: PublicationStore,
    actor: Actor,
    ticket_id: int,
    step: ModerationStep,
    now: datetime,
    channel_configured: bool,
) -> Publication:
    """Store `step`, put it in the audit log, and return the publication as it now stands."""
    record = await store.add_moderation(
        ticket_id=ticket_id,
        kind=step.kind,
        target=step.target,
        reason=clean_reason(step.reason),
        actor_id=actor.user_id,
        at=now,
    )
    event = REDACT_EVENT if step.kind is ModerationKind.REDACT else HIDE_EVENT
    await _audit(store, record, event, actor_id=actor.user_id, at=now, shown=step.shown)
    return await prepare_publication(
        store, actor, ticket_id=ticket_id, channel_configured=channel_configured
    )


async def _audit(
    store: PublicationStore,
    record: Moderation,
    kind: str,
    *,
    actor_id: int,
    at: datetime,
    shown: str,
) -> None:
    """The ticket event that puts a moderation step in the audit log, with its reason."""
    await store.add_event(
        ticket_id=record.ticket_id,
        at=at,
        actor_kind=str(ActorKind.MEMBER),
        actor_id=actor_id,
        kind=kind,
        text=record.reason,
        payload={"moderation": record.id, "moderation_kind": str(record.kind), "target": shown},
    )
