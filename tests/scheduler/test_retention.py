"""Retention: a closed ticket past its period keeps only its figures; the rest is audited.

Driven by a ManualClock on a migrated SQLite file: tickets closed 366 and 400 days ago
lose their evidence files, their reporter's identity and the words relayed about them; one
closed 100 days ago keeps everything; /stats and the ranking read the same before and after.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from aiogram.types import Update
from sqlalchemy import func, select
from sqlmodel import col

from bot.inbox import Inbox
from config.settings import Settings
from scheduler.retention import RetentionPolicy, purge
from storage.db import SessionFactory
from storage.media import ORIGINAL_SUFFIX, MediaStore
from storage.models import (
    Evidence,
    InboxUpdate,
    OutboxMessage,
    Praise,
    PraisePhoto,
    Reporter,
    RetentionPurge,
    SentMessage,
    Ticket,
    TicketEvent,
)
from storage.stats import load_ranking, load_stats
from tests.factories import department_row, ticket_row
from tests.scheduler.conftest import add_row, jpeg
from tickets.clock import ManualClock
from tickets.measures import Period

POLICY = RetentionPolicy()
NAME_A, PHONE_A, USER_A = "王旧案", "13700137000", 610_000_001
NAME_B, PHONE_B, USER_B = "赵近案", "13600136000", 610_000_002
RELAYED = "我住在三号楼二单元"


@dataclass(frozen=True)
class Filed:
    old_a: int
    old_b: int
    recent_b: int
    reporter_a: int
    reporter_b: int
    shas: dict[int, str]


async def file_closed(
    session: Any, code: str, department: int, reporter: int, closed_days_ago: int, now: Any
) -> int:
    closed = now - timedelta(days=closed_days_ago)
    created = closed - timedelta(days=10)
    ticket = ticket_row(
        code,
        department,
        reporter,
        state="closed",
        anonymous=False,
        category="extortion",
        description=f"{RELAYED} ({code})",
        place_text="东门",
        created_at=created,
        accept_by=created + timedelta(days=1),
        accepted_at=created + timedelta(hours=3),
        resolve_by=created + timedelta(days=7),
        resolved_at=created + timedelta(days=2),
        closed_at=closed,
        satisfaction="satisfied",
        survey_comment=RELAYED,
        public_reply="已查处",
    )
    session.add(ticket)
    await session.flush()
    events: list[tuple[str, int, str, str | None, dict[str, Any]]] = [
        ("reporter", 1, "submitted", None, {"photos": 1}),
        ("reporter", 1, "answer", RELAYED, {"photo": "AgACfile-id"}),
        ("member", 2, "resolved", "已查处", {}),
        ("reporter", 1, "reopened", RELAYED, {}),
    ]
    session.add_all(
        TicketEvent(
            ticket_id=ticket.id or 0,
            at=created,
            actor_kind=kind,
            actor_id=actor,
            kind=what,
            text=text,
            payload=payload,
        )
        for kind, actor, what, text, payload in events
    )
    return ticket.id or 0


async def build(session_factory: SessionFactory, clock: ManualClock, media: MediaStore) -> Filed:
    now = clock.now()
    shas = {}
    async with session_factory() as session, session.begin():
        department = department_row("城管局")
        a = Reporter(channel_user_id=USER_A, real_name=NAME_A, phone=PHONE_A)
        b = Reporter(channel_user_id=USER_B, real_name=NAME_B, phone=PHONE_B)
        session.add_all([department, a, b])
        await session.flush()
        ids = {}
        for code, reporter, days, color in (
            ("SR-OLD-A", a, 366, (200, 0, 0)),
            ("SR-OLD-B", b, 400, (0, 200, 0)),
            ("SR-NEW-B", b, 100, (0, 0, 200)),
        ):
            ticket_id = await file_closed(
                session, code, department.id or 0, reporter.id or 0, days, now
            )
            sha = media.put(jpeg(color))
            original = original_of(code)  # stands for the upload's hash
            media.put_original(original, b"sealed original of " + code.encode())
            session.add(
                Evidence(
                    ticket_id=ticket_id,
                    sha256=sha,
                    original_sha256=original,
                    telegram_file_id="AgAC",
                )
            )
            ids[code], shas[ticket_id] = ticket_id, sha
    for code, user in (("SR-OLD-A", USER_A), ("SR-OLD-B", USER_B), ("SR-NEW-B", USER_B)):
        await add_row(
            session_factory,
            clock,
            user,
            "sendMessage",
            {"text": RELAYED},
            ticket_id=ids[code],
            state="sent",
            sent_at=now - timedelta(days=5),
        )
    return Filed(ids["SR-OLD-A"], ids["SR-OLD-B"], ids["SR-NEW-B"], a.id or 0, b.id or 0, shas)


def original_of(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def figures(session_factory: SessionFactory, clock: ManualClock) -> tuple[Any, Any]:
    period = Period.local_days(date(2023, 1, 1), date(2025, 4, 1))
    stats = await load_stats(session_factory, period, as_of=clock.now())
    ranking = await load_ranking(session_factory, period, as_of=clock.now())
    return stats, ranking


async def snapshot(session_factory: SessionFactory) -> dict[str, Any]:
    async with session_factory() as session:
        tickets = [
            (t.id, t.reporter_id, t.description, t.survey_comment, t.submit_key, t.purged_at)
            for t in await session.scalars(select(Ticket).order_by(col(Ticket.id)))
        ]
        events = [
            (e.id, e.text, e.actor_id, e.payload)
            for e in await session.scalars(select(TicketEvent).order_by(col(TicketEvent.id)))
        ]
        reporters = [(r.id, r.real_name, r.phone) for r in await session.scalars(select(Reporter))]
        counts = {
            model.__name__: await session.scalar(select(func.count()).select_from(model))
            for model in (Evidence, OutboxMessage, RetentionPurge, InboxUpdate, SentMessage)
        }
    return {"tickets": tickets, "events": events, "reporters": reporters, "counts": counts}


async def test_closed_tickets_past_retention_keep_only_their_figures(
    session_factory: SessionFactory, clock: ManualClock, media: MediaStore
) -> None:
    filed = await build(session_factory, clock, media)
    before = await figures(session_factory, clock)

    report = await purge(session_factory, clock=clock, media=media, policy=POLICY)

    assert report.counts["tickets"] == 2
    assert report.counts["evidence"] == 2
    assert report.counts["reporters"] == 1  # B still has a ticket within retention
    assert report.counts["files"] == 4  # the stripped copies and the sealed originals
    assert await figures(session_factory, clock) == before
    async with session_factory() as session:
        tickets = {t.id: t for t in await session.scalars(select(Ticket))}
        reporters = {r.id: r for r in await session.scalars(select(Reporter))}
        evidence = {e.ticket_id for e in await session.scalars(select(Evidence))}
        events = list(await session.scalars(select(TicketEvent)))
        outbox = {row.ticket_id for row in await session.scalars(select(OutboxMessage))}
    for gone in (filed.old_a, filed.old_b):
        ticket = tickets[gone]
        assert ticket.purged_at == clock.now()
        assert RELAYED not in ticket.description and ticket.survey_comment is None
        stand_in = reporters[ticket.reporter_id]
        assert (stand_in.real_name, stand_in.phone) == (None, None)
        assert stand_in.channel_user_id == 0
        assert gone not in evidence and gone not in outbox
        assert not media.exists(filed.shas[gone])
        assert not media.exists(original_of(tickets[gone].code), suffix=ORIGINAL_SUFFIX)
        for event in (e for e in events if e.ticket_id == gone):
            assert event.text is None
            assert "photo" not in event.payload
            assert event.actor_id is None or event.actor_kind != "reporter"
        # What statistics count stays.
        assert (ticket.state, ticket.category, ticket.public_reply) == (
            "closed",
            "extortion",
            "已查处",
        )
    assert filed.reporter_a not in reporters
    kept = tickets[filed.recent_b]
    assert kept.purged_at is None and kept.survey_comment == RELAYED
    assert kept.reporter_id == filed.reporter_b
    assert (reporters[filed.reporter_b].real_name, reporters[filed.reporter_b].phone) == (
        NAME_B,
        PHONE_B,
    )
    assert filed.recent_b in evidence and filed.recent_b in outbox
    assert media.exists(filed.shas[filed.recent_b])
    assert media.exists(original_of(kept.code), suffix=ORIGINAL_SUFFIX)
    assert {e.text for e in events if e.ticket_id == filed.recent_b} == {None, RELAYED, "已查处"}


async def test_every_purge_is_audited(
    session_factory: SessionFactory, clock: ManualClock, media: MediaStore
) -> None:
    await build(session_factory, clock, media)

    await purge(session_factory, clock=clock, media=media, policy=POLICY, trigger="command")
    clock.advance(timedelta(days=1))
    await purge(session_factory, clock=clock, media=media, policy=POLICY)

    async with session_factory() as session:
        rows = list(await session.scalars(select(RetentionPurge).order_by(col(RetentionPurge.id))))
    first = {r.kind: r.count for r in rows if r.trigger == "command"}
    second = {r.kind: r.count for r in rows if r.trigger == "schedule"}
    assert first["tickets"] == 2 and first["files"] == 4 and first["reporters"] == 1
    assert second["tickets"] == 0  # nothing purged twice
    assert {r.at for r in rows} == {clock.now() - timedelta(days=1), clock.now()}


async def test_a_dry_run_changes_nothing(
    session_factory: SessionFactory, clock: ManualClock, media: MediaStore
) -> None:
    filed = await build(session_factory, clock, media)
    before = await snapshot(session_factory)

    report = await purge(session_factory, clock=clock, media=media, policy=POLICY, dry_run=True)

    assert report.dry_run and report.counts["tickets"] == 2 and report.counts["files"] == 4
    assert await snapshot(session_factory) == before
    assert all(media.exists(sha) for sha in filed.shas.values())


async def test_undelivered_rows_go_after_their_period(
    session_factory: SessionFactory, clock: ManualClock, media: MediaStore
) -> None:
    old = await add_row(session_factory, clock, 42, "sendMessage", {"text": "x"}, state="dead")
    clock.advance(timedelta(days=20))
    young = await add_row(session_factory, clock, 42, "sendMessage", {"text": "y"}, state="dead")
    clock.advance(timedelta(days=11))

    report = await purge(session_factory, clock=clock, media=media, policy=POLICY)

    assert report.counts["outbox_dead"] == 1
    async with session_factory() as session:
        left = set(await session.scalars(select(col(OutboxMessage.id))))
    assert old not in left and young in left


def update(update_id: int) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": USER_A, "type": "private"},
                "from": {"id": USER_A, "is_bot": False, "first_name": NAME_A},
                "contact": {"phone_number": PHONE_A, "first_name": NAME_A},
            },
        }
    )


async def test_a_handled_update_keeps_only_its_id_until_purged(
    session_factory: SessionFactory, clock: ManualClock, media: MediaStore
) -> None:
    inbox = Inbox(session_factory)
    assert [u.update_id for u in await inbox.store([update(7)])] == [7]

    await inbox.mark_handled(7)

    async with session_factory() as session:
        row = await session.get(InboxUpdate, 7)
    assert row is not None and row.handled_at is not None and row.payload == {}
    assert await inbox.store([update(7)]) == []  # a redelivery is still recognised
    clock.set(row.handled_at + timedelta(hours=23))
    assert (await purge(session_factory, clock=clock, media=media, policy=POLICY)).counts[
        "inbox_updates"
    ] == 0
    clock.advance(timedelta(hours=2))
    assert (await purge(session_factory, clock=clock, media=media, policy=POLICY)).counts[
        "inbox_updates"
    ] == 1


async def add_praise(
    session_factory: SessionFactory,
    media: MediaStore,
    clock: ManualClock,
    *,
    user_id: int,
    days_ago: int,
    color: tuple[int, int, int],
) -> tuple[int, int, str]:
    """A praise sent `days_ago` with one photo, by its own sender; (praise, reporter, sha)."""
    async with session_factory() as session, session.begin():
        department = department_row(f"表扬单位{user_id}")
        sender = Reporter(channel_user_id=user_id, real_name=NAME_A)
        session.add_all([department, sender])
        await session.flush()
        praise = Praise(
            submit_key=f"praise-{user_id}",
            department_id=department.id or 0,
            description=RELAYED,
            reporter_id=sender.id or 0,
            created_at=clock.now() - timedelta(days=days_ago),
        )
        session.add(praise)
        await session.flush()
        sha = media.put(jpeg(color))
        session.add(PraisePhoto(praise_id=praise.id or 0, sha256=sha, telegram_file_id="AgAC"))
        return praise.id or 0, sender.id or 0, sha


async def test_praises_past_retention_keep_only_unit_and_date(
    session_factory: SessionFactory, clock: ManualClock, media: MediaStore
) -> None:
    old, old_sender, old_sha = await add_praise(
        session_factory, media, clock, user_id=620_000_001, days_ago=366, color=(9, 9, 90)
    )
    young, young_sender, young_sha = await add_praise(
        session_factory, media, clock, user_id=620_000_002, days_ago=300, color=(90, 9, 9)
    )

    report = await purge(session_factory, clock=clock, media=media, policy=POLICY)

    assert (report.counts["praises"], report.counts["praise_photos"]) == (1, 1)
    assert report.counts["reporters"] == 1 and report.counts["files"] == 1
    async with session_factory() as session:
        praises = {p.id: p for p in await session.scalars(select(Praise))}
        photos = {p.praise_id for p in await session.scalars(select(PraisePhoto))}
        reporters = set(await session.scalars(select(col(Reporter.id))))
        audit = {r.kind: r.count for r in await session.scalars(select(RetentionPurge))}
    assert praises[old].description == "" and praises[old].reporter_id not in {old_sender}
    assert old not in photos and old_sender not in reporters and not media.exists(old_sha)
    assert praises[young].description == RELAYED and young in photos
    assert young_sender in reporters and media.exists(young_sha)
    assert audit["praises"] == 1 and audit["praise_photos"] == 1
    # A stripped praise still counts for its unit, and is not purged again.
    clock.advance(timedelta(days=1))
    again = await purge(session_factory, clock=clock, media=media, policy=POLICY)
    assert again.counts["praises"] == 0


async def test_praise_retention_follows_its_own_setting(
    session_factory: SessionFactory, clock: ManualClock, media: MediaStore
) -> None:
    praise, _, _ = await add_praise(
        session_factory, media, clock, user_id=620_000_003, days_ago=40, color=(9, 90, 9)
    )
    settings = Settings(_env_file=None, praise_retention_days=30)

    report = await purge(
        session_factory, clock=clock, media=media, policy=RetentionPolicy.from_settings(settings)
    )

    assert report.counts["praises"] == 1
    async with session_factory() as session:
        kept = await session.get(Praise, praise)
    assert kept is not None and kept.description == ""
