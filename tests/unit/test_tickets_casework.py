"""Who may press which card button, which deadline a queue sorts by, and /find's terms."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import ticket_view
from tickets.actors import Actor, Membership, Role
from tickets.casework import FindQuery, check_performer, current_deadline, is_empty, parse_find
from tickets.errors import Forbidden, ValidationError
from tickets.states import Action, TicketState
from tickets.views import TicketView

SHANGHAI = ZoneInfo("Asia/Shanghai")
ACCEPT_BY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
RESOLVE_BY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def ticket(state: str = "new", department_id: int = 1) -> TicketView:
    return ticket_view(
        state=state, department_id=department_id, accept_by=ACCEPT_BY, resolve_by=RESOLVE_BY
    )


SUPERVISOR = Actor(user_id=2, memberships=(Membership(1, Role.SUPERVISOR, 10),))
HANDLER = Actor(user_id=3, memberships=(Membership(1, Role.HANDLER, 11),))
OUTSIDER = Actor(user_id=4, memberships=(Membership(2, Role.SUPERVISOR, 12),))
ADMIN = Actor(user_id=5, is_admin=True)


@pytest.mark.parametrize(
    ("actor", "action", "code"),
    [
        (HANDLER, Action.ACCEPT, "supervisor_only"),
        (HANDLER, Action.REJECT, "supervisor_only"),
        (HANDLER, Action.MARK_DUPLICATE, "supervisor_only"),
        (OUTSIDER, Action.ASK, "not_your_department"),
        (SUPERVISOR, Action.CLOSE, "not_staff_action"),
        (ADMIN, Action.REOPEN, "not_staff_action"),
    ],
)
def test_who_may_not_press(actor: Actor, action: Action, code: str) -> None:
    with pytest.raises(Forbidden) as raised:
        check_performer(actor, ticket(), action)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("actor", "action"),
    [
        (SUPERVISOR, Action.ACCEPT),
        (HANDLER, Action.ASK),
        (HANDLER, Action.RESOLVE),
        (ADMIN, Action.REJECT),
    ],
)
def test_who_may_press(actor: Actor, action: Action) -> None:
    check_performer(actor, ticket(), action)


def test_the_current_deadline_is_acceptance_until_accepted() -> None:
    assert current_deadline(ticket("new")) == ACCEPT_BY
    for state in (TicketState.ACCEPTED, TicketState.IN_PROGRESS, TicketState.REOPENED):
        assert current_deadline(ticket(state)) == RESOLVE_BY


def test_find_terms_in_any_order_and_local_days() -> None:
    query = parse_find(["new", "2026-11-23", "car"], SHANGHAI)
    assert (query.category, query.state) == ("car", "new")
    # 23 November in Shanghai is 22 Nov 16:00 UTC up to 23 Nov 16:00 UTC.
    assert query.since == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    assert query.until == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    ranged = parse_find(["date=2026-11-01..2026-11-30", "state=in_progress"], SHANGHAI)
    assert ranged.until == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert ranged.state == "in_progress"
    assert parse_find(["2026-11-01.."], SHANGHAI).until is None
    assert is_empty(parse_find([], SHANGHAI)) and parse_find([], SHANGHAI) == FindQuery()


@pytest.mark.parametrize(
    "terms",
    [["yesterday"], ["state=idle"], ["colour=red"], ["2026-13-01"], ["2026-11-30..2026-11-01"]],
)
def test_find_refuses_what_it_does_not_understand(terms: list[str]) -> None:
    with pytest.raises(ValidationError, match="find_terms"):
        parse_find(terms, SHANGHAI)
