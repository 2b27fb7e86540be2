"""`submit_report` on in-memory ports: routing, deadlines, follow-ups, alerts, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import ACCEPT_BY, FILED_AT, RESOLVE_BY, photo_ref, report_draft
from tests.fakes import Fakes
from tickets.errors import RateLimited, ValidationError
from tickets.followups import FollowUpKind
from tickets.reports import submit_report
from tickets.routing import RoutingRule

DEADLINE_KINDS = {
    str(kind)
    for kind in FollowUpKind
    if kind not in {FollowUpKind.SURVEY, FollowUpKind.AUTO_CLOSE}
}


async def test_submitted_report_is_a_new_ticket_of_the_intake_department(fakes: Fakes) -> None:
    submission = await submit_report(fakes.ws, report_draft(), per_hour=5)

    ticket = submission.ticket
    assert submission.created
    assert (ticket.state, ticket.department_id, ticket.created_at) == ("new", 1, FILED_AT)
    assert ticket.code.startswith("SR-")
    assert fakes.tickets.event_kinds(ticket.id) == ["submitted"]
    assert fakes.tickets.events[0].to_state == "new"


async def test_submission_sets_default_working_day_deadlines(fakes: Fakes) -> None:
    ticket = (await submit_report(fakes.ws, report_draft(), per_hour=5)).ticket

    assert (ticket.accept_by, ticket.resolve_by) == (ACCEPT_BY, RESOLVE_BY)


async def test_category_deadline_override_moves_both_deadlines(fakes: Fakes) -> None:
    fakes.directory.days["idle"] = (2, 10)

    ticket = (await submit_report(fakes.ws, report_draft(category="idle"), per_hour=5)).ticket

    # Mon 23 Nov + 2 / + 10 working days, 18:00 Shanghai.
    assert ticket.accept_by == datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert ticket.resolve_by == datetime(2026, 12, 7, 10, tzinfo=UTC)


async def test_routing_rule_sends_the_ticket_to_its_department(fakes: Fakes) -> None:
    fakes.directory.rules = [RoutingRule(department_id=2, category="idle")]

    ticket = (await submit_report(fakes.ws, report_draft(category="idle"), per_hour=5)).ticket

    assert (ticket.department_id, ticket.department_name) == (2, "Transport Bureau")
    assert fakes.notifier.sent[0].department_id == 2


async def test_submission_schedules_accept_and_resolve_follow_ups(fakes: Fakes) -> None:
    ticket = (await submit_report(fakes.ws, report_draft(), per_hour=5)).ticket

    pending = fakes.followups.pending(ticket.id)
    assert set(pending) == DEADLINE_KINDS
    assert pending["yellow_accept"] == ACCEPT_BY
    assert pending["yellow_resolve"] == RESOLVE_BY
    assert FILED_AT < pending["remind_accept_50"] < pending["remind_accept_80"] < ACCEPT_BY
    assert pending["red_resolve"] > RESOLVE_BY


async def test_submission_alerts_the_department_once(fakes: Fakes) -> None:
    await submit_report(fakes.ws, report_draft(), per_hour=5)

    assert fakes.notifier.to("filed") == ["filed"]
    assert fakes.notifier.to("reporter") == []


async def test_pressing_confirm_twice_files_one_ticket(fakes: Fakes) -> None:
    draft = report_draft()
    first = await submit_report(fakes.ws, draft, per_hour=5)

    again = await submit_report(fakes.ws, draft, per_hour=5)

    assert not again.created
    assert again.ticket == first.ticket
    assert len(fakes.tickets.tickets) == 1
    assert len(fakes.notifier.sent) == 1
    assert len(fakes.followups.rows) == len(DEADLINE_KINDS)


async def test_reports_beyond_the_hourly_limit_are_refused(fakes: Fakes) -> None:
    for _ in range(2):
        await submit_report(fakes.ws, report_draft(), per_hour=2)

    with pytest.raises(RateLimited) as raised:
        await submit_report(fakes.ws, report_draft(), per_hour=2)

    assert raised.value.code == "reports_per_hour"
    assert len(fakes.tickets.tickets) == 2


async def test_hourly_limit_frees_up_after_an_hour(fakes: Fakes) -> None:
    await submit_report(fakes.ws, report_draft(), per_hour=1)
    fakes.clock.advance(timedelta(hours=1, seconds=1))

    submission = await submit_report(fakes.ws, report_draft(), per_hour=1)

    assert submission.created


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"description": " hi  "}, "description_length"),
        ({"description": "x" * 2001}, "description_length"),
        ({"category": "parking"}, "unknown_category"),
        ({"photos": (photo_ref(),) * 11}, "too_many_photos"),
        ({"anonymous": False, "phone": None}, "phone_required"),
    ],
)
async def test_invalid_draft_is_refused_and_files_nothing(
    fakes: Fakes, fields: dict[str, object], code: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        await submit_report(fakes.ws, report_draft(**fields), per_hour=5)

    assert raised.value.code == code
    assert fakes.tickets.tickets == {}
    assert fakes.notifier.sent == [] and fakes.followups.rows == []


async def test_real_name_report_keeps_name_and_phone(fakes: Fakes) -> None:
    draft = report_draft(anonymous=False, real_name="Li Si", phone="13900139000")

    ticket = (await submit_report(fakes.ws, draft, per_hour=5)).ticket

    assert (ticket.anonymous, ticket.real_name, ticket.phone) == (False, "Li Si", "13900139000")


async def test_a_photo_seen_on_another_ticket_is_hinted_as_duplicate(fakes: Fakes) -> None:
    photo = photo_ref(phash="ffee00aa11223344")
    first = (await submit_report(fakes.ws, report_draft(photos=(photo,)), per_hour=5)).ticket

    second = await submit_report(fakes.ws, report_draft(photos=(photo,)), per_hour=5)

    assert second.duplicate_hints == (first.code,)
    assert fakes.notifier.sent[-1].text == first.code


async def test_duplicate_hints_stay_in_the_department_and_the_anonymity(fakes: Fakes) -> None:
    photo = photo_ref(phash="ffee00aa11223344")
    fakes.directory.rules = [RoutingRule(department_id=2, category="extortion")]
    await submit_report(fakes.ws, report_draft(photos=(photo,), category="extortion"), per_hour=9)
    named = report_draft(photos=(photo,), anonymous=False, real_name="Li Si", phone="13900139000")
    await submit_report(fakes.ws, named, per_hour=9)

    anonymous = await submit_report(fakes.ws, report_draft(photos=(photo,)), per_hour=9)

    assert anonymous.duplicate_hints == ()


async def test_at_most_five_duplicate_hints(fakes: Fakes) -> None:
    photo = photo_ref(phash="ffee00aa11223344")
    earlier = [
        (await submit_report(fakes.ws, report_draft(photos=(photo,)), per_hour=9)).ticket.code
        for _ in range(7)
    ]

    latest = await submit_report(fakes.ws, report_draft(photos=(photo,)), per_hour=9)

    assert latest.duplicate_hints == tuple(reversed(earlier))[:5]
