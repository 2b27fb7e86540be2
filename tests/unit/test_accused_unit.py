"""The unit a report is about: handling department, oversight, who sees the reporter;
red cards climbing through supervising offices; last place two quarters running."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.factories import report_draft, ticket_view
from tests.fakes import Fakes
from tickets.accused import (
    check_parent,
    handling_department,
    may_handle,
    sees_reporter,
    supervising_office,
)
from tickets.actors import Actor, Membership, Role
from tickets.errors import ValidationError
from tickets.measures import Counts, Period, RankEntry, Ranking, bottom_twice, build_measures
from tickets.records import Stats
from tickets.reports import submit_report
from tickets.states import TicketState
from tickets.sweep import Outcome, run_follow_up
from ui.i18n import create_i18n
from ui.stats_text import weekly_digest_text

INTAKE, TRANSPORT, CITY = 1, 2, 3


def test_a_unit_without_parent_is_overseen_by_the_intake_and_the_intake_by_admins() -> None:
    assert supervising_office(TRANSPORT, parents={}, intake_id=INTAKE) == INTAKE
    assert supervising_office(TRANSPORT, parents={TRANSPORT: CITY}, intake_id=INTAKE) == CITY
    assert supervising_office(INTAKE, parents={}, intake_id=INTAKE) is None


@pytest.mark.parametrize(
    ("routed", "accused", "expected"),
    [
        (INTAKE, None, INTAKE),  # 不清楚: today's routing
        (INTAKE, TRANSPORT, CITY),  # no rule placed it: the accused unit's parent
        (TRANSPORT, TRANSPORT, CITY),  # a rule would leave it with the accused unit
        (4, TRANSPORT, 4),  # an independent department a rule chose keeps it
        (INTAKE, INTAKE, INTAKE),  # intake accused, above nobody: admins oversee
    ],
)
def test_handling_department(routed: int, accused: int | None, expected: int) -> None:
    parents = {TRANSPORT: CITY, 4: None}
    found = handling_department(
        routed_id=routed, accused_id=accused, parents=parents, intake_id=INTAKE
    )
    assert found == expected


def test_a_parent_loop_is_refused() -> None:
    with pytest.raises(ValidationError):
        check_parent(CITY, TRANSPORT, parents={TRANSPORT: CITY})
    with pytest.raises(ValidationError):
        check_parent(CITY, CITY, parents={})
    check_parent(TRANSPORT, CITY, parents={})


def member(department_id: int, role: Role = Role.SUPERVISOR) -> Actor:
    return Actor(user_id=7, memberships=(Membership(department_id, role, 1),))


def test_the_accused_unit_handles_a_delegated_ticket_but_never_sees_the_reporter() -> None:
    delegated = ticket_view(
        department_id=TRANSPORT, accused_department_id=TRANSPORT, overseer_department_id=CITY
    )
    assert may_handle(member(TRANSPORT), delegated)
    assert not sees_reporter(member(TRANSPORT), delegated)
    assert may_handle(member(CITY), delegated) and sees_reporter(member(CITY), delegated)
    assert sees_reporter(Actor(user_id=1, is_admin=True), delegated)
    assert not may_handle(member(INTAKE), delegated)


async def test_submission_routes_a_report_about_a_unit_to_its_parent(fakes: Fakes) -> None:
    fakes.directory.departments[CITY] = "City Office"
    fakes.directory.parents[TRANSPORT] = CITY

    about = await submit_report(
        fakes.ws, report_draft(accused_department_id=TRANSPORT), per_hour=5
    )
    unknown = await submit_report(fakes.ws, report_draft(), per_hour=5)

    assert about.ticket.department_id == CITY
    assert unknown.ticket.department_id == INTAKE


async def test_a_red_card_climbs_to_the_parent_office_then_the_administrators(
    fakes: Fakes,
) -> None:
    fakes.directory.departments[CITY] = "City Office"
    fakes.directory.parents[TRANSPORT] = CITY
    ws = fakes.ws
    ticket = fakes.tickets.seed(
        ticket_view(state=TicketState.IN_PROGRESS, department_id=TRANSPORT, card="yellow")
    )

    assert await run_follow_up(ws, ticket_id=ticket.id, kind="red_resolve") is Outcome.ACTED
    assert [(s.to, s.text) for s in fakes.notifier.sent if s.to == "office"] == [
        ("office", str(CITY))
    ]
    assert fakes.notifier.to("admins") == []
    [(kind, due)] = [
        (k, at) for k, at in fakes.followups.pending(ticket.id).items() if k == "escalate"
    ]
    assert due == fakes.clock.now() + timedelta(hours=24)

    fakes.clock.set(due)
    assert await run_follow_up(ws, ticket_id=ticket.id, kind=kind) is Outcome.ACTED
    assert fakes.notifier.to("admins") == ["red_card"]


async def test_escalation_is_moot_once_the_ticket_is_resolved(fakes: Fakes) -> None:
    ticket = fakes.tickets.seed(
        ticket_view(state=TicketState.RESOLVED, department_id=TRANSPORT, card="red")
    )
    assert await run_follow_up(fakes.ws, ticket_id=ticket.id, kind="escalate") is Outcome.MOOT
    assert fakes.notifier.sent == []


NO_MEASURES = build_measures(Counts())


def ranking(*ids: int) -> Ranking:
    entries = tuple(
        RankEntry(rank=n, department_id=d, name=f"D{d}", score=0.5, measures=NO_MEASURES)
        for n, d in enumerate(ids, start=1)
    )
    return Ranking(entries=entries)


def test_last_place_two_quarters_running_is_flagged() -> None:
    assert [e.name for e in bottom_twice(ranking(1, 2, 3), ranking(2, 1, 3))] == ["D3"]
    assert bottom_twice(ranking(1, 3), ranking(3, 1)) == ()
    assert bottom_twice(ranking(3), ranking(3)) == ()  # alone is not last


def test_the_weekly_digest_names_the_flagged_department() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    week = Period.quarter(2026, 4, tz)
    stats = Stats(period=week, overall=NO_MEASURES, departments=(), weeks=())
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        assert "🚩 Tax Bureau was ranked last two quarters running" in weekly_digest_text(
            stats, tz, flagged=("Tax Bureau",)
        )
        assert "🚩" not in weekly_digest_text(stats, tz)
