"""The follow-up sweep, draft expiry and `run_due_once`, driven by a ManualClock."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.workspace import workspace
from config.settings import Settings
from emulator.client import EmulatorClient
from outbox.dispatcher import OutboxDispatcher
from scheduler.jobs import WorkspaceFactory, expire_drafts, sweep_follow_ups
from scheduler.runner import run_due_once
from storage.db import SessionFactory
from storage.identity import lookup_hash
from storage.media import ORIGINAL_SUFFIX, MediaStore
from storage.models import CardMessage, FollowUp, FsmRecord, OutboxMessage, Ticket
from tests.factories import UNVERIFIED, photo_ref, report_draft
from tests.scheduler.conftest import MakeDispatcher, jpeg
from tickets.actors import Actor
from tickets.casework import act
from tickets.clock import ManualClock
from tickets.holidays import PACKAGED
from tickets.reports import submit_report
from tickets.states import Action
from tickets.views import PhotoRef
from tickets.workflow import StaffCommand, rate
from ui.i18n import create_i18n

I18N = create_i18n("en")
ADMIN = 900_000_001
REPORTER = 500_000_001


def make_workspace(clock: ManualClock, admin: int = ADMIN) -> WorkspaceFactory:
    settings = Settings(_env_file=None, admin_ids=frozenset({admin}), default_language="en")
    return partial(workspace, clock=clock, settings=settings, i18n=I18N, calendar=PACKAGED)


async def file_report(
    session_factory: SessionFactory,
    make: WorkspaceFactory,
    *,
    photos: tuple[PhotoRef, ...] = (),
) -> int:
    draft = report_draft(
        submit_key=f"{REPORTER}:draft-{len(photos)}",
        reporter_user_id=REPORTER,
        category="extortion",
        description="The clerk asked for a red envelope before stamping.",
        photos=photos,
    )
    with I18N.context():
        async with session_factory() as session, session.begin():
            submission = await submit_report(make(session), draft, per_hour=5)
    return submission.ticket.id


async def follow_ups(session_factory: SessionFactory) -> dict[str, FollowUp]:
    async with session_factory() as session:
        return {row.kind: row for row in await session.scalars(select(FollowUp))}


async def texts_to(session_factory: SessionFactory, chat_id: int) -> list[str]:
    async with session_factory() as session:
        found = await session.scalars(
            select(OutboxMessage)
            .where(col(OutboxMessage.chat_hash) == lookup_hash(session, chat_id))
            .order_by(col(OutboxMessage.id))
        )
        return [str(row.payload.get("text", "")) for row in found]


async def test_due_follow_ups_fire_once_in_due_order(
    session_factory: SessionFactory, clock: ManualClock
) -> None:
    make = make_workspace(clock)
    ticket_id = await file_report(session_factory, make)
    planned = await follow_ups(session_factory)
    filed = len(await texts_to(session_factory, ADMIN))

    clock.set(planned["remind_accept_50"].due_at)
    report = await sweep_follow_ups(session_factory, clock=clock, make_workspace=make, i18n=I18N)

    assert (report.acted, report.moot, report.failed) == (1, 0, 0)
    done = await follow_ups(session_factory)
    assert done["remind_accept_50"].done_at == clock.now()
    assert done["remind_accept_80"].done_at is None
    assert "50%" in (await texts_to(session_factory, ADMIN))[filed]
    again = await sweep_follow_ups(session_factory, clock=clock, make_workspace=make, i18n=I18N)
    assert again.done == 0

    clock.set(planned["remind_accept_80"].due_at)
    await sweep_follow_ups(session_factory, clock=clock, make_workspace=make, i18n=I18N)
    clock.set(planned["red_accept"].due_at)
    await sweep_follow_ups(session_factory, clock=clock, make_workspace=make, i18n=I18N)

    done = await follow_ups(session_factory)
    assert all(done[kind].done_at for kind in ("remind_accept_80", "yellow_accept", "red_accept"))
    admin_texts = (await texts_to(session_factory, ADMIN))[filed + 1 :]
    # They fired in due order: the 80 % reminder, the yellow card, then the red one.
    order = [
        next(i for i, text in enumerate(admin_texts) if marker in text)
        for marker in ("80%", "Yellow card", "Red card")
    ]
    assert order == sorted(order)
    async with session_factory() as session:
        ticket = await session.get(Ticket, ticket_id)
    assert ticket is not None and ticket.card == "red"
    assert any("overdue" in text for text in await texts_to(session_factory, REPORTER))


async def test_a_late_sweep_skips_reminders_that_would_follow_the_yellow_card(
    session_factory: SessionFactory, clock: ManualClock
) -> None:
    make = make_workspace(clock)
    await file_report(session_factory, make)
    planned = await follow_ups(session_factory)
    filed = len(await texts_to(session_factory, ADMIN))

    # Down from before the first reminder until after the yellow card's time.
    clock.set(planned["yellow_accept"].due_at + timedelta(hours=2))
    report = await sweep_follow_ups(session_factory, clock=clock, make_workspace=make, i18n=I18N)

    assert (report.acted, report.skipped, report.failed) == (1, 2, 0)
    after = await follow_ups(session_factory)
    for kind in ("remind_accept_50", "remind_accept_80"):
        assert after[kind].skipped and after[kind].done_at == clock.now()
        assert not after[kind].cancelled
    assert not after["yellow_accept"].skipped
    news = (await texts_to(session_factory, ADMIN))[filed:]
    assert any("Yellow card" in text for text in news)
    assert not any("% passed" in text for text in news)


async def test_a_reopened_ticket_gets_fresh_cards_for_its_new_deadline(
    session_factory: SessionFactory, clock: ManualClock
) -> None:
    make = make_workspace(clock)
    ticket_id = await file_report(session_factory, make)
    admin = Actor(user_id=ADMIN, is_admin=True)
    planned = await follow_ups(session_factory)
    clock.set(planned["red_resolve"].due_at)  # left far too long: red card
    await sweep_follow_ups(session_factory, clock=clock, make_workspace=make, i18n=I18N)
    for action in (Action.ACCEPT, Action.RESOLVE):
        with I18N.context():
            async with session_factory() as session, session.begin():
                command = StaffCommand(
                    ticket_id=ticket_id, action=action, text="Done.", outcome=UNVERIFIED
                )
                await act(make(session), admin, command)
    clock.advance(timedelta(hours=1))

    with I18N.context():
        async with session_factory() as session, session.begin():
            reopened = await rate(
                make(session),
                ticket_id=ticket_id,
                reporter_user_id=REPORTER,
                rating="unsatisfied",
                comment=None,
            )

    assert reopened.card == "none" and reopened.resolve_by is not None
    assert reopened.resolve_by > clock.now()
    async with session_factory() as session:
        fresh = {
            row.kind: row
            for row in await session.scalars(
                select(FollowUp).where(col(FollowUp.done_at).is_(None))
            )
        }
    assert fresh["yellow_resolve"].due_at == reopened.resolve_by
    assert fresh["red_resolve"].due_at > reopened.resolve_by
    before = len(await texts_to(session_factory, ADMIN))
    clock.set(fresh["yellow_resolve"].due_at)
    await sweep_follow_ups(session_factory, clock=clock, make_workspace=make, i18n=I18N)
    async with session_factory() as session:
        ticket = await session.get(Ticket, ticket_id)
    assert ticket is not None and ticket.card == "yellow"
    assert any("Yellow card" in text for text in (await texts_to(session_factory, ADMIN))[before:])


async def test_cancelled_follow_ups_are_stamped_by_the_clock(
    session_factory: SessionFactory, clock: ManualClock
) -> None:
    make = make_workspace(clock)
    ticket_id = await file_report(session_factory, make)
    clock.advance(timedelta(hours=3))

    with I18N.context():
        async with session_factory() as session, session.begin():
            command = StaffCommand(ticket_id=ticket_id, action=Action.ACCEPT)
            await act(make(session), Actor(user_id=ADMIN, is_admin=True), command)

    cancelled = [row for row in (await follow_ups(session_factory)).values() if row.cancelled]
    assert {row.kind for row in cancelled} == {
        "remind_accept_50",
        "remind_accept_80",
        "yellow_accept",
        "red_accept",
    }
    assert all(row.done_at == clock.now() for row in cancelled)


async def test_a_failing_follow_up_holds_back_nothing_and_stays_due(
    session_factory: SessionFactory, clock: ManualClock
) -> None:
    make = make_workspace(clock)
    ticket_id = await file_report(session_factory, make)
    planned = await follow_ups(session_factory)
    async with session_factory() as session, session.begin():
        session.add(FollowUp(ticket_id=ticket_id, kind="no_such_kind", due_at=clock.now()))

    clock.set(planned["remind_accept_80"].due_at)
    report = await sweep_follow_ups(session_factory, clock=clock, make_workspace=make, i18n=I18N)

    assert (report.acted, report.failed) == (2, 1)
    after = await follow_ups(session_factory)
    assert after["no_such_kind"].done_at is None
    assert after["remind_accept_80"].done_at == clock.now()


async def test_moot_follow_ups_are_marked_done_without_notifying(
    session_factory: SessionFactory, clock: ManualClock
) -> None:
    make = make_workspace(clock)
    ticket_id = await file_report(session_factory, make)
    async with session_factory() as session, session.begin():
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.state = "rejected"
    before = len(await texts_to(session_factory, ADMIN))

    clock.advance(timedelta(days=30))
    report = await sweep_follow_ups(session_factory, clock=clock, make_workspace=make, i18n=I18N)

    assert report.acted == 0 and report.moot > 0
    assert all(row.done_at for row in (await follow_ups(session_factory)).values())
    assert len(await texts_to(session_factory, ADMIN)) == before


async def test_expired_drafts_and_their_unused_photos_are_deleted(
    session_factory: SessionFactory, clock: ManualClock, media: MediaStore
) -> None:
    kept_as_evidence, only_in_old_draft, in_fresh_draft = (
        media.put(jpeg((n * 60, 10, 10))) for n in range(1, 4)
    )
    # The sealed originals follow their photos: one is evidence, one only in the old draft.
    original_kept, original_dropped = (hashlib.sha256(bytes([n])).hexdigest() for n in (1, 2))
    for original in (original_kept, original_dropped):
        media.put_original(original, b"sealed")
    evidence = photo_ref(sha256=kept_as_evidence, original_sha256=original_kept)
    await file_report(session_factory, make_workspace(clock), photos=(evidence,))
    old = clock.now() - timedelta(hours=25)
    photos = [
        {"sha256": sha, "original_sha256": original}
        for sha, original in (
            (kept_as_evidence, original_kept),
            (only_in_old_draft, original_dropped),
            (in_fresh_draft, None),
        )
    ]
    async with session_factory() as session, session.begin():
        session.add_all(
            [
                FsmRecord(
                    key="old",
                    state="ReportDraft:describing",
                    data={"photos": photos},
                    updated_at=old,
                ),
                FsmRecord(
                    key="fresh",
                    state="ReportDraft:adding_photos",
                    data={"photos": photos[2:]},
                    updated_at=clock.now(),
                ),
                FsmRecord(key="other-flow", state="Language:choosing", updated_at=old),
            ]
        )

    expiry = await expire_drafts(session_factory, clock=clock, media=media, ttl_hours=24)

    assert (expiry.drafts, expiry.files) == (1, 2)
    assert not media.exists(only_in_old_draft)
    assert not media.exists(original_dropped, suffix=ORIGINAL_SUFFIX)
    assert media.get_original(original_kept) == b"sealed"
    assert media.exists(kept_as_evidence) and media.exists(in_fresh_draft)
    async with session_factory() as session:
        keys = set(await session.scalars(select(col(FsmRecord.key))))
    assert keys == {"fresh", "other-flow"}


@pytest.fixture
def clock_now() -> ManualClock:
    # OutboxNotifier stamps `not_before` from the wall clock, not the workspace's clock, so
    # a test that delivers its rows starts the ManualClock at the real now (and moves it on).
    return ManualClock(datetime.now(UTC))


async def test_tick_now_fires_follow_ups_and_delivers_what_they_wrote(
    client: EmulatorClient,
    session_factory: SessionFactory,
    clock: ManualClock,
    clock_now: ManualClock,
    make_dispatcher: MakeDispatcher,
) -> None:
    clock.set(clock_now.now())
    admin = (await client.create_user(first_name="Admin")).id
    make = make_workspace(clock, admin)
    dispatcher: OutboxDispatcher = make_dispatcher()
    ticket_id = await file_report(session_factory, make)
    clock.advance(timedelta(seconds=1))

    filed = await run_due_once(
        session_factory, clock=clock, make_workspace=make, dispatcher=dispatcher, i18n=I18N
    )
    assert filed.follow_ups.done == 0 and filed.sent >= 1
    async with session_factory() as session:
        card = await session.scalar(select(CardMessage))
    assert card is not None and card.ticket_id == ticket_id

    clock.set((await follow_ups(session_factory))["yellow_accept"].due_at)
    tick = await run_due_once(
        session_factory, clock=clock, make_workspace=make, dispatcher=dispatcher, i18n=I18N
    )

    # The yellow card only: the two reminders came due with it and are stale.
    assert (tick.follow_ups.acted, tick.follow_ups.skipped) == (1, 2)
    transcript = [m for m in await client.transcript(admin) if m.from_bot]
    shown_card = next(m for m in transcript if m.message_id == card.message_id)
    assert shown_card.edits == 1 and "🟨" in (shown_card.text or "")
    assert any("Yellow card" in (m.text or "") for m in transcript)
