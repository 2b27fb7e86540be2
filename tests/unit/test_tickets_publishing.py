"""Publishing rules with an in-memory store: only administrators, only closed tickets, once,
and a summary that cannot carry the reporter's identity."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import ticket_view
from tickets.actors import Actor
from tickets.errors import Conflict, DomainError
from tickets.moderation import Moderation, ModerationKind, PublicPhoto
from tickets.publishing import (
    PhotoChoice,
    PublicSummary,
    hide_photo,
    prepare_publication,
    public_summary,
    publish_ticket,
    redact_passage,
    revert_moderation,
)
from tickets.views import TicketView

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
ADMIN = Actor(user_id=1, is_admin=True)


def closed(**fields: object) -> TicketView:
    base: dict[str, object] = {
        "id": 7,
        "code": "SR-7K3Q-9XPA-X",
        "description": "Zhang San at window 3, my neighbour, played games",
        "state": "closed",
        "department_id": 2,
        "department_name": "Housing Office",
        "anonymous": False,
        "reporter_id": 3,
        "reporter_user_id": 555,
        "created_at": NOW - timedelta(days=6),
        "place_text": "Building 5, flat 301",
        "accept_by": None,
        "resolve_by": NOW - timedelta(days=1),
        "resolved_at": NOW - timedelta(days=2),
        "public_reply": "The clerk was warned.",
        "satisfaction": "satisfied",
        "real_name": "Li Si",
        "phone": "13900139000",
    }
    return ticket_view(**(base | fields))


class Store:
    def __init__(self, ticket: TicketView, *, tag_place: str | None = None) -> None:
        self.ticket = ticket
        self.place = tag_place
        self.published: list[PhotoChoice] = []
        self.photos = {
            PhotoChoice.REPORT: [
                PublicPhoto("evidence:1", "evidence-1"),
                PublicPhoto("evidence:2", "evidence-2"),
            ],
            PhotoChoice.RESULT: [],
        }
        self.records: list[Moderation] = []
        self.events: list[tuple[str, str | None, dict[str, Any]]] = []

    async def get(self, *, ticket_id: int) -> TicketView | None:
        return self.ticket if ticket_id == self.ticket.id else None

    async def get_by_code(self, *, code: str) -> TicketView | None:
        return self.ticket if code == self.ticket.code else None

    async def published_at(self, *, ticket_id: int) -> datetime | None:
        return NOW if self.published else None

    async def tag_place(self, *, tag: str) -> str | None:
        return self.place

    async def public_photos(self, *, ticket_id: int, choice: PhotoChoice) -> list[PublicPhoto]:
        return self.photos.get(choice, [])

    async def satisfaction_default(self, *, ticket_id: int) -> bool:
        return False

    async def record_published(
        self, *, ticket_id: int, at: datetime, actor_id: int, photos: PhotoChoice
    ) -> None:
        self.published.append(photos)

    async def moderations(self, *, ticket_id: int) -> list[Moderation]:
        return list(self.records)

    async def add_moderation(
        self,
        *,
        ticket_id: int,
        kind: ModerationKind,
        target: str,
        reason: str,
        actor_id: int,
        at: datetime,
    ) -> Moderation:
        record = Moderation(len(self.records) + 1, ticket_id, kind, target, reason, "admin", at)
        self.records.append(record)
        return record

    async def revert_moderation(self, *, moderation_id: int, actor_id: int, at: datetime) -> None:
        self.records = [
            dataclasses.replace(r, reverted_at=at, reverted_by="admin")
            if r.id == moderation_id
            else r
            for r in self.records
        ]

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
    ) -> None:
        self.events.append((kind, text, payload or {}))


class Channel:
    def __init__(self) -> None:
        self.posts: list[tuple[PublicSummary, tuple[str, ...], str]] = []

    async def post_ticket(
        self, summary: PublicSummary, *, photo_file_ids: Sequence[str], key: str
    ) -> None:
        self.posts.append((summary, tuple(photo_file_ids), key))


async def publish(store: Store, channel: Channel, photos: PhotoChoice) -> None:
    await publish_ticket(
        store, channel, ADMIN, ticket_id=7, photos=photos, now=NOW, channel_configured=True
    )


def test_the_summary_has_nothing_that_names_the_reporter() -> None:
    summary = public_summary(closed(), tag_place=None, satisfaction_default=False)
    shown = " ".join(str(value) for value in dataclasses.asdict(summary).values())
    for secret in ("SR-7K3Q", "Zhang San", "Building 5", "Li Si", "13900139000", "555"):
        assert secret not in shown
    assert summary.resolved_on_time is True and summary.reply == "The clerk was warned."


def test_only_a_registered_place_and_an_answered_rating_are_shown() -> None:
    tagged = closed(source_tag="hall_01")
    summary = public_summary(tagged, tag_place="City service hall", satisfaction_default=True)
    assert summary.place == "City service hall" and summary.satisfaction is None


async def test_publish_posts_the_chosen_photos_once() -> None:
    store, channel = Store(closed()), Channel()
    publication = await prepare_publication(
        store, ADMIN, code="SR-7K3Q-9XPA-X", channel_configured=True
    )
    assert publication.photos == {PhotoChoice.REPORT: ("evidence-1", "evidence-2")}

    await publish(store, channel, PhotoChoice.REPORT)
    assert channel.posts[0][1:] == (("evidence-1", "evidence-2"), "publish:ticket:7")
    assert store.published == [PhotoChoice.REPORT]
    with pytest.raises(Conflict, match="already_published"):
        await publish(store, channel, PhotoChoice.NONE)
    assert len(channel.posts) == 1


async def test_publish_without_photos_sends_none_even_if_there_are_some() -> None:
    store, channel = Store(closed()), Channel()
    await publish(store, channel, PhotoChoice.NONE)
    assert channel.posts[0][1] == ()


@pytest.mark.parametrize(
    ("actor", "ticket", "configured", "code"),
    [
        (Actor(user_id=2), closed(), True, "not_admin"),
        (ADMIN, closed(), False, "no_public_channel"),
        (ADMIN, closed(state="resolved"), True, "publish_not_closed"),
        (ADMIN, closed(id=8), True, "ticket_not_found"),
    ],
)
async def test_who_may_publish_what(
    actor: Actor, ticket: TicketView, configured: bool, code: str
) -> None:
    with pytest.raises(DomainError) as raised:
        await prepare_publication(Store(ticket), actor, ticket_id=7, channel_configured=configured)
    assert raised.value.code == code


# -- moderation before publishing -----------------------------------------------------------


async def test_a_redaction_is_published_as_a_mark_and_kept_apart_from_the_original() -> None:
    store, channel = Store(closed(public_reply="Clerk Wang was warned.")), Channel()
    after = await redact_passage(
        store,
        ADMIN,
        ticket_id=7,
        passage="Wang",
        reason="names the clerk",
        now=NOW,
        channel_configured=True,
    )
    assert after.summary.reply == "Clerk […] was warned."
    assert after.original.reply == "Clerk Wang was warned."
    assert store.events == [
        (
            "moderation_redact",
            "names the clerk",
            {"moderation": 1, "moderation_kind": "redact", "target": "Wang"},
        )
    ]
    await publish(store, channel, PhotoChoice.NONE)
    assert channel.posts[0][0].reply == "Clerk […] was warned."


async def test_a_reverted_redaction_and_a_hidden_photo() -> None:
    store, channel = Store(closed(public_reply="Clerk Wang was warned.")), Channel()
    common: dict[str, Any] = {"ticket_id": 7, "now": NOW, "channel_configured": True}
    await redact_passage(store, ADMIN, passage="Wang", reason="a name", **common)
    record, after = await revert_moderation(store, ADMIN, moderation_id=1, **common)
    assert record.target == "Wang" and after.summary.reply == "Clerk Wang was warned."
    assert [kind for kind, _text, _payload in store.events][-1] == "moderation_revert"
    with pytest.raises(Conflict, match="moderation_not_active"):
        await revert_moderation(store, ADMIN, moderation_id=1, **common)

    hidden = await hide_photo(
        store, ADMIN, choice=PhotoChoice.REPORT, number=1, reason="a face", **common
    )
    assert hidden.photos == {PhotoChoice.REPORT: ("evidence-2",)}
    with pytest.raises(Conflict, match="photo_already_hidden"):
        await hide_photo(store, ADMIN, choice=PhotoChoice.REPORT, number=1, reason="x", **common)
    await publish(store, channel, PhotoChoice.REPORT)
    assert channel.posts[0][1] == ("evidence-2",)


@pytest.mark.parametrize(
    ("actor", "ticket", "passage", "reason", "code"),
    [
        (Actor(user_id=2), closed(), "clerk", "why", "not_admin"),
        (ADMIN, closed(state="resolved"), "clerk", "why", "publish_not_closed"),
        (ADMIN, closed(), "Zhang San", "why", "passage_not_found"),  # the description
        (ADMIN, closed(), "clerk", "  ", "moderation_reason_required"),
    ],
)
async def test_who_may_redact_what(
    actor: Actor, ticket: TicketView, passage: str, reason: str, code: str
) -> None:
    store = Store(ticket)
    with pytest.raises(DomainError) as raised:
        await redact_passage(
            store,
            actor,
            ticket_id=7,
            passage=passage,
            reason=reason,
            now=NOW,
            channel_configured=True,
        )
    assert raised.value.code == code
    assert store.records == [] and store.events == []


async def test_a_published_ticket_cannot_be_moderated() -> None:
    store, channel = Store(closed()), Channel()
    await publish(store, channel, PhotoChoice.NONE)
    with pytest.raises(Conflict, match="already_published"):
        await hide_photo(
            store,
            ADMIN,
            ticket_id=7,
            choice=PhotoChoice.REPORT,
            number=2,
            reason="late",
            now=NOW,
            channel_configured=True,
        )
    assert store.records == []
