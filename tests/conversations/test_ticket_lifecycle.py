"""The clock-driven life of a ticket, through the emulator: reminders at 50 % and 80 % of the
accept deadline, a yellow card at it, a red card and escalation after the grace period, then
the reply, the survey, 不满意 reopening it, a second reply and the unanswered survey closing
it as "default satisfied". Time never passes by itself: each step moves the ManualClock and
runs the scheduler's tick (`deliver`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlmodel import col

from bot.app import SnapreportApp
from emulator.client import ChatUser
from storage.models import FollowUp
from tests.conversations.staff import deliver, prefer_language, resolve_with_reply
from tests.conversations.steps import events_of, file_report, ticket_by_code
from tests.factories import rows_of
from tickets.clock import ManualClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPLAINT = "He was on his phone again the next day"


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


async def tick_at(app: SnapreportApp, clock: ManualClock, moment: datetime) -> None:
    """Let time pass until `moment`, then run the scheduler's tick."""
    clock.set(moment)
    await deliver(app)


async def follow_ups(app: SnapreportApp, ticket_id: int | None) -> list[FollowUp]:
    order = (col(FollowUp.due_at), col(FollowUp.id))
    where = col(FollowUp.ticket_id) == ticket_id
    return await rows_of(app.session_factory, FollowUp, *order, where=where)


async def test_a_ticket_lives_reminded_carded_escalated_reopened_and_auto_closed(
    app: SnapreportApp,
    clock: ManualClock,
    citizen: ChatUser,
    supervisor: ChatUser,
    admin: ChatUser,
) -> None:
    await prefer_language(app, citizen, supervisor, admin)
    # Filed Monday 09:00: accept by Tuesday 18:00 (18 office hours), red card two working
    # days later, on Thursday 18:00.
    code = await file_report(citizen)
    await deliver(app)
    card = await supervisor.expect("Accept by: 2026-11-24 18:00")

    await tick_at(app, clock, local(2026, 11, 23, 17, 59))
    await supervisor.expect_nothing()
    await tick_at(app, clock, local(2026, 11, 23, 18))  # 9 of 18 office hours
    await supervisor.expect(f"{code}: accept by 2026-11-24 18:00 (50% passed)")
    await tick_at(app, clock, local(2026, 11, 24, 14, 24))  # 14.4 of 18
    await supervisor.expect(f"{code}: accept by 2026-11-24 18:00 (80% passed)")

    await tick_at(app, clock, local(2026, 11, 24, 18))
    yellow = await supervisor.expect("🟨 Yellow card")
    assert yellow.message_id == card.message_id  # the card itself shows it
    await supervisor.expect(f"Yellow card: {code} has passed its deadline")
    assert (await ticket_by_code(app, code)).card == "yellow"
    await citizen.expect_nothing()  # a yellow card is the department's business

    await tick_at(app, clock, local(2026, 11, 26, 18))
    red = await supervisor.expect("🟥 Red card")
    assert red.message_id == card.message_id
    await supervisor.expect(f"Red card: {code} is seriously overdue")
    await admin.expect(f"Red card: {code} (受理中心) is seriously overdue and is escalated to you")
    overdue = await citizen.expect(f"Your report {code} is overdue")
    assert "supervision office now oversees it" in overdue.content
    ticket = await ticket_by_code(app, code)
    assert ticket.card == "red"

    await supervisor.press("Accept")
    await deliver(app)  # the card shows the change through the outbox
    await supervisor.expect("✅ Accepted — Sup")
    await citizen.expect(f"Your report {code} has been accepted")
    await resolve_with_reply(supervisor, "The clerk was warned; the window is staffed again.")
    await deliver(app)
    reply = await citizen.expect(f"Your report {code} has been resolved")
    assert "The clerk was warned" in reply.content
    await citizen.expect("Please rate it")

    await citizen.press("Unsatisfied")
    await citizen.expect("What was not right?")
    await citizen.send(COMPLAINT)
    await citizen.expect("your comment was passed on")
    await deliver(app)
    await supervisor.expect(f"{code} is reopened: the reporter is not satisfied")
    await supervisor.expect(COMPLAINT)
    await admin.expect(f"{code} (受理中心) was reopened: the reporter is not satisfied")
    reopened = await ticket_by_code(app, code)
    assert reopened.state == "reopened"
    assert reopened.resolve_by == local(2026, 12, 3, 18)  # five working days from Thursday

    await resolve_with_reply(supervisor, "The clerk was moved to the back office.")
    await deliver(app)
    await citizen.expect("moved to the back office")
    await citizen.expect("Please rate it")
    resolved_at = clock.now()

    await tick_at(app, clock, resolved_at + timedelta(days=7) - timedelta(minutes=1))
    assert (await ticket_by_code(app, code)).state == "resolved"
    await tick_at(app, clock, resolved_at + timedelta(days=7))
    closed = await ticket_by_code(app, code)
    assert (closed.state, closed.satisfaction, closed.satisfaction_default) == (
        "closed",
        "satisfied",
        True,
    )
    last = (await events_of(app, closed.id))[-1]
    assert (last.kind, last.actor_kind, last.from_state, last.to_state) == (
        "auto_closed",
        "system",
        "resolved",
        "closed",
    )
    # The first survey's auto-close was cancelled by reopening; the second one ran.
    auto_closes = [f for f in await follow_ups(app, closed.id) if f.kind == "auto_close"]
    assert [f.cancelled for f in auto_closes] == [True, False]
    kinds = [event.kind for event in await events_of(app, closed.id)]
    assert kinds == [
        "submitted",
        "yellow_card",
        "red_card",
        "accept",
        "resolve",
        "reopened",
        "survey_comment",
        "resolve",
        "auto_closed",
    ]


async def test_accepting_in_time_cancels_the_cards_it_makes_moot(
    app: SnapreportApp, clock: ManualClock, citizen: ChatUser, supervisor: ChatUser
) -> None:
    await prefer_language(app, citizen, supervisor)
    code = await file_report(citizen)
    await deliver(app)
    await supervisor.expect("Accept by: 2026-11-24 18:00")
    clock.set(local(2026, 11, 23, 10))
    await supervisor.press("Accept")
    await deliver(app)
    await supervisor.expect("✅ Accepted — Sup")

    # Past the accept deadline and its grace: only the resolve phase still speaks.
    await tick_at(app, clock, local(2026, 11, 26, 18))
    await supervisor.expect("resolve by 2026-11-30 18:00 (50% passed)")
    ticket = await ticket_by_code(app, code)
    assert ticket.card == "none"
    texts = [m.content for m in await supervisor.messages() if m.from_bot]
    assert not [t for t in texts if "% passed" in t and "accept by" in t]
    assert not [t for t in texts if "Yellow card" in t or "Red card" in t]
    assert "yellow_card" not in [event.kind for event in await events_of(app, ticket.id)]
    accept_phase = [f for f in await follow_ups(app, ticket.id) if "accept" in f.kind]
    assert accept_phase and all(f.cancelled for f in accept_phase)


async def test_a_report_filed_before_a_holiday_falls_due_after_it(
    app: SnapreportApp, clock: ManualClock, citizen: ChatUser, supervisor: ChatUser
) -> None:
    # 2026 National Day: 1–7 October off, Saturday 10 October a make-up working day.
    holiday = [date(2026, 10, 1) + timedelta(days=n) for n in range(7)]
    assert all(chinese_calendar.is_holiday(day) for day in holiday)
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    await prefer_language(app, citizen, supervisor)
    clock.set(local(2026, 9, 30, 14))  # the afternoon before the holiday
    code = await file_report(citizen)
    await deliver(app)
    await supervisor.expect("Accept by: 2026-10-08 18:00")
    ticket = await ticket_by_code(app, code)
    assert ticket.accept_by == local(2026, 10, 8, 18)
    # 8, 9, 10 (the make-up Saturday), 12 and 13 October are the five working days.
    assert ticket.resolve_by == local(2026, 10, 13, 18)
    due_days = {f.due_at.astimezone(SHANGHAI).date() for f in await follow_ups(app, ticket.id)}
    assert not due_days & set(holiday)

    for day in holiday:  # the scheduler keeps ticking through the holiday
        await tick_at(app, clock, local(day.year, day.month, day.day, 12))
    await tick_at(app, clock, local(2026, 10, 7, 23, 59))
    await supervisor.expect_nothing()
    # 4 office hours on 30 September and 9 on 8 October: half of 13 is 11:30 on the 8th.
    await tick_at(app, clock, local(2026, 10, 8, 11, 30))
    await supervisor.expect(f"{code}: accept by 2026-10-08 18:00 (50% passed)")
